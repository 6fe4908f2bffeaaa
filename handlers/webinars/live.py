"""The webinars a partner may join, as a live FAQ answer (`answer_from: next_webinars`)."""

from __future__ import annotations

from bot.core import Button, Reply, rows
from bot.core.timezones import fmt_local
from handlers.kit.context import Context
from handlers.webinars.buttons import RsvpButton
from handlers.webinars.models import Rsvp
from handlers.webinars.service import Webinars

SHOWN = 3
LABEL_TITLE = 40


async def next_webinars(ctx: Context) -> Reply:
    """The next webinars scheduled for this partner with a button to join each; or, when
    none is, that none is and how the next one will reach them."""
    found = await ctx.repo(Webinars).next_for(ctx.partner.id, ctx.now(), limit=SHOWN)
    if not found:
        return Reply(ctx.t("webinar_live_none"))
    lines = [ctx.t("webinar_live_title")]
    buttons: list[Button] = []
    for w, answer in found:
        when = fmt_local(w.starts_at, ctx.partner.timezone)
        if answer is Rsvp.YES:
            lines.append(ctx.t("webinar_live_going", title=w.title, when=when, link=w.link))
            continue
        lines.append(ctx.t("webinar_live_line", title=w.title, when=when))
        buttons.append(RsvpButton(str(w.id), "y").button(
            ctx.t("btn_webinar_join", title=w.title[:LABEL_TITLE])))
    return Reply("\n".join(lines), rows(*buttons))
