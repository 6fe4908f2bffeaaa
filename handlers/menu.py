"""The module menu with progress marks, and /menu from anywhere."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core import Button, Inbound, Reply, rows
from bot.storage.models import ConvState
from bot.storage.repos import ProgressRecord
from handlers import position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router


async def status(ctx: Context) -> tuple[dict[str, str], bool]:
    """Each module's mark (done / started / new) and whether every module is done."""
    return marks_of(ctx, await ctx.repos.progress.all(ctx.partner.id))


def marks_of(ctx: Context, progress: Mapping[str, ProgressRecord]) -> tuple[dict[str, str], bool]:
    """status() for progress already read."""
    marks: dict[str, str] = {}
    for mid in ctx.pack.modules:
        pr = progress.get(mid)
        if pr is None:
            marks[mid] = "new"
        elif pr.completed:
            marks[mid] = "done"
        else:
            marks[mid] = "started"
    return marks, all(m == "done" for m in marks.values())


ICONS = {"done": "✅", "started": "▶️", "new": "▫️"}


async def show(ctx: Context) -> list[Reply]:
    marks, all_done = await status(ctx)
    lines = [ctx.t("menu_title", name=ctx.partner.name or "")]
    buttons: list[Button] = []
    for i, (mid, module) in enumerate(ctx.pack.modules.items(), start=1):
        title = module.title.get(ctx.lang)
        lines.append(f"{ICONS[marks[mid]]} {i}. {title}")
        buttons.append(Button(f"{ICONS[marks[mid]]} {title}"[:60], make("m", "open", mid)))
    if all_done:
        buttons.append(Button(ctx.t("btn_final_quiz"), make("q", "start", "final")))
    else:
        lines.append(ctx.t("menu_final_locked"))
    buttons.append(Button(ctx.t("btn_progress"), make("m", "progress")))
    return [Reply("\n".join(lines), rows(*buttons))]


async def go_menu(msg: Inbound, ctx: Context) -> list[Reply]:
    """Leaves whatever the partner is doing (progress kept) and shows the menu."""
    p = ctx.partner
    if p.onboarded_at is None:
        return [Reply(ctx.t("finish_onboarding_first")), *await position.show(ctx)]
    p.move(ConvState.MENU)
    return await show(ctx)


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    from handlers import common, modules

    what = payload.get(0)
    if ctx.partner.onboarded_at is None:
        return await position.stale(msg, ctx)
    if what == "open" and payload.get(1) in ctx.pack.modules:
        return await modules.open_module(str(payload.get(1)), ctx)
    if what == "home":
        return await go_menu(msg, ctx)
    if what == "progress":
        return await common.progress(msg, ctx)
    return await position.stale(msg, ctx)


def register(router: Router) -> None:
    router.command("menu", help_key="help_menu")(go_menu)
    router.button("m")(on_button)
