"""Shows a partner where they are, e.g. after a stale button or a /start mid-way."""

from __future__ import annotations

from bot.core import Inbound, Reply
from bot.storage.models import ConvState
from handlers.context import Context


async def show(ctx: Context) -> list[Reply]:
    from handlers import assessment, menu, modules, onboarding, quiz

    st = ctx.partner.state
    if st in onboarding.ONBOARDING_STATES:
        return onboarding.render(ctx)
    if st in (ConvState.ASSESS_BEFORE, ConvState.ASSESS_AFTER):
        return assessment.render(ctx)
    if st is ConvState.MODULE:
        return await modules.render(ctx)
    if st is ConvState.QUIZ:
        return await quiz.render(ctx)
    return await menu.show(ctx)


async def stale(msg: Inbound, ctx: Context) -> list[Reply]:
    """A button from an old message or a forged one: say so, then show the current place."""
    return [Reply(ctx.t("stale_button")), *await show(ctx)]
