"""/stop and /berhenti: opt out of nudges and broadcasts, after a confirmation.

/start (handlers/onboarding.py) opts back in. The "Continue" button on a nudge lands here too.
"""

from __future__ import annotations

from bot.core import Button, Inbound, Reply, rows
from handlers import position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router
from scheduler import outbox


def _confirm(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("optout_confirm"),
                  rows(Button(ctx.t("optout_btn_yes"), make("st", "yes")),
                       Button(ctx.t("optout_btn_no"), make("st", "no"))))]


async def stop(msg: Inbound, ctx: Context) -> list[Reply]:
    """Asks the partner to confirm they want no more reminders and announcements."""
    if ctx.partner.opted_out:
        return [Reply(ctx.t("optout_already"))]
    return _confirm(ctx)


async def on_stop_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """Opts out (and cancels what is already queued), keeps reminders on, or asks first."""
    what = payload.get(0)
    p = ctx.partner
    if what == "ask":  # the "stop reminders" button under a nudge
        return [Reply(ctx.t("optout_already"))] if p.opted_out else _confirm(ctx)
    if what == "yes":
        if p.opted_out:
            return [Reply(ctx.t("optout_already"))]
        p.opted_out = True
        await outbox.cancel_for_partner(ctx.repos.session, p.id, reason="partner opted out")
        return [Reply(ctx.t("optout_done"))]
    if what == "no":
        if p.opted_out:  # an old confirmation pressed after opting out: the state wins
            return [Reply(ctx.t("optout_already"))]
        return [Reply(ctx.t("optout_kept")), *await position.show(ctx)]
    return await position.stale(msg, ctx)


async def on_nudge_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """A nudge's Continue button: shows the partner exactly where they are now."""
    if payload.get(0) != "here":
        return await position.stale(msg, ctx)
    return await position.show(ctx)


def register(router: Router) -> None:
    router.command("stop", "berhenti", help_key="help_stop")(stop)
    router.button("st")(on_stop_button)
    router.button("n")(on_nudge_button)
