"""/stop and /berhenti: opt out of nudges and broadcasts, after a confirmation.

/start (onboarding) opts back in. The "Continue" button on a nudge lands here too.
"""

from __future__ import annotations

from bot.core import Inbound, Reply, rows
from handlers.kit.context import Context
from handlers.kit.position import stale, where
from handlers.optout.buttons import CONTINUE_EVENT, NudgeButton, StopButton


def _confirm(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("optout_confirm"),
                  rows(StopButton("yes").button(ctx.t("optout_btn_yes")),
                       StopButton("no").button(ctx.t("optout_btn_no"))))]


async def stop(msg: Inbound, ctx: Context) -> list[Reply]:
    """Asks the partner to confirm they want no more reminders and announcements."""
    if ctx.partner.opted_out:
        return [Reply(ctx.t("optout_already"))]
    return _confirm(ctx)


async def on_stop_button(data: StopButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Opts out (and cancels what is already queued), keeps reminders on, or asks first."""
    p = ctx.partner
    if data.action == "ask":  # the "stop reminders" button under a nudge
        return [Reply(ctx.t("optout_already"))] if p.opted_out else _confirm(ctx)
    if data.action == "yes":
        if p.opted_out:
            return [Reply(ctx.t("optout_already"))]
        p.opted_out = True
        await ctx.outbox.cancel_for_partner(p.id, reason="partner opted out")
        return [Reply(ctx.t("optout_done"))]
    if data.action == "no":
        if p.opted_out:  # an old confirmation pressed after opting out: the state wins
            return [Reply(ctx.t("optout_already"))]
        return [Reply(ctx.t("optout_kept")), *await where(ctx)]
    return await stale(msg, ctx)


async def on_nudge_button(data: NudgeButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """A nudge's Continue button: shows the partner exactly where they are now."""
    if data.action != "here":
        return await stale(msg, ctx)
    await ctx.router.emit(CONTINUE_EVENT, ctx)
    return await where(ctx)
