"""/dashboard: a coach asks for a sign-in link to the web dashboard."""

from __future__ import annotations

from bot.core import Inbound, Reply
from handlers.dashboard.links import LINK_LIFETIME, LinkRepo, login_url
from handlers.kit.context import Context


async def dashboard_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """Gives the coach a one-time link that signs them in to the dashboard."""
    if msg.is_group:  # a link in a group could be opened by anyone there
        return [Reply(ctx.t("dashboard_private_only"))]
    token = await ctx.repo(LinkRepo).make(ctx.partner.id, ctx.now())
    url = login_url(ctx.settings.dashboard_base_url, token)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return [Reply(ctx.t("dashboard_link", url=url, minutes=minutes))]
