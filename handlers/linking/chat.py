"""/link: a partner joins their Telegram and WhatsApp identities, so their progress, tickets
and nudges follow them, and what the bot sends on its own reaches them where they wrote last.

`/link` on one channel gives a one-time code (LINK_TTL); `/link CODE` sent from the other
channel joins that identity to the partner who asked for the code. The sender's own record
must be new (not onboarded, not joined to anyone): nothing of theirs is merged or lost."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core import Inbound, Reply
from bot.storage.links import PartnerLinks
from bot.storage.repos import PartnerRecord
from handlers.kit.context import Context

LINK_TTL = timedelta(minutes=15)


async def link(msg: Inbound, ctx: Context) -> list[Reply]:
    links = ctx.repos.get(PartnerLinks)
    now = ctx.clock.now()
    code = msg.args.strip()
    if not code:
        code = await links.new_code(ctx.partner.id, now, LINK_TTL)
        return [Reply(ctx.t("link_code", code=code,
                            minutes=int(LINK_TTL.total_seconds() // 60)))]
    target_id = await links.take(code, now, by=ctx.partner.id)
    if target_id is None:
        return [Reply(ctx.t("link_bad_code"))]
    if target_id == ctx.partner.id:
        return [Reply(ctx.t("link_same_account"))]
    if (ctx.partner.onboarded or ctx.partner.role != "partner"
            or await links.partner_of(ctx.partner.channel, ctx.partner.external_id)):
        return [Reply(ctx.t("link_has_own"))]
    target = await ctx.repos.partners.by_id(target_id)
    if target is None:
        return [Reply(ctx.t("link_bad_code"))]
    chat_id = ctx.partner.chat_id if msg.is_group else msg.chat_id
    await links.join(target, ctx.partner, chat_id=chat_id, now=now)
    joined = await ctx.repos.partners.by_id(target_id)
    assert joined is not None
    _become(ctx.partner, joined)
    return [Reply(ctx.t("link_done", name=joined.name or ""))]


def _become(partner: PartnerRecord, joined: PartnerRecord) -> None:
    """The rest of this turn serves the partner the code belonged to (the sender's own,
    empty record is gone), with nothing left to write back."""
    for field in dataclasses.fields(PartnerRecord):
        setattr(partner, field.name, getattr(joined, field.name))
    partner._loaded = dict(joined._loaded)
