"""Where a partner is: each feature shows the places it holds (Feature.resume)."""

from __future__ import annotations

from bot.core import Inbound, Reply
from handlers.kit.context import Context

# the place of anyone no feature claims (a state from a feature since removed)
HOME = "menu"


async def where(ctx: Context) -> list[Reply]:
    """Shows the partner exactly where they are, e.g. after a stale button or /start."""
    for feature in ctx.features:
        replies = await feature.resume(ctx)
        if replies is not None:
            return replies
    if ctx.partner.state != HOME:
        ctx.partner.move(HOME)
        return await where(ctx)
    return []


async def stale(msg: Inbound, ctx: Context) -> list[Reply]:
    """A button from an old message or a forged one: say so, then show the current place."""
    return [Reply(ctx.t("stale_button")), *await where(ctx)]
