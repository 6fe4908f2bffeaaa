"""/mydata shows a partner what we store about them; /deletedata erases it after a confirmation."""

from __future__ import annotations

from bot.core import Button, Inbound, Reply, rows
from handlers import position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router


async def my_data(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists the profile, progress and answers stored for this partner."""
    p = ctx.partner
    progress = await ctx.repos.progress.all(p.id)
    responses = await ctx.repos.progress.responses(p.id)
    attempts = await ctx.repos.quizzes.history(p.id)
    before = await ctx.repos.assessments.ratings(p.id, "before")
    after = await ctx.repos.assessments.ratings(p.id, "after")
    lines = [ctx.t("mydata_title"),
             ctx.t("mydata_profile", name=p.name or "–", language=p.language,
                   background=p.background or "–", timezone=p.timezone,
                   created=p.created_at.strftime("%Y-%m-%d")),
             ctx.t("mydata_counts", modules=len(progress), answers=len(responses),
                   attempts=len(attempts), ratings=len(before) + len(after))]
    reflections = [r.text for r in responses if r.kind == "reflect" and r.text]
    for text in reflections[-5:]:
        lines.append(f"💭 {text[:300]}")
    return [Reply("\n".join(lines),
                  rows(Button(ctx.t("btn_delete_data"), make("pv", "ask"))))]


async def delete_data(msg: Inbound, ctx: Context) -> list[Reply]:
    """Asks for a confirmation before erasing everything."""
    return [Reply(ctx.t("delete_confirm"),
                  rows(Button(ctx.t("btn_delete_yes"), make("pv", "yes")),
                       Button(ctx.t("btn_delete_no"), make("pv", "no")), width=2))]


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    what = payload.get(0)
    if what == "ask":
        return await delete_data(msg, ctx)
    if what == "yes":
        lang = ctx.lang
        text = ctx.library.text(ctx.pack, "data_deleted", lang)
        await ctx.repos.partners.delete(ctx.partner.id)
        ctx.partner._loaded = {}  # nothing left to write back
        ctx.partner.id = -1
        return [Reply(text)]
    if what == "no":
        return [Reply(ctx.t("delete_cancelled")), *await position.show(ctx)]
    return await position.stale(msg, ctx)


def register(router: Router) -> None:
    router.command("mydata", "dataku", help_key="help_mydata")(my_data)
    router.command("deletedata", "hapusdata", help_key="help_deletedata")(delete_data)
    router.button("pv")(on_button)
