"""One partner, several channels (issue 17): /link codes and the identities they join."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import LinkCode, Partner, PartnerIdentity
from bot.storage.repos import PartnerRecord, insert_once

# no 0/O, 1/I/L: the code is read on one phone and typed on another
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6


def normalize(code: str) -> str:
    return "".join(code.split()).upper()


class PartnerLinks:
    """Codes a partner takes to their other channel, and the identities joined with them."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def new_code(self, partner_id: int, now: datetime, ttl: timedelta) -> str:
        """A fresh one-time code for this partner; their earlier codes (and anyone's expired
        ones) stop working."""
        await self.s.execute(delete(LinkCode).where(
            (LinkCode.partner_id == partner_id) | (LinkCode.expires_at <= now)))
        while True:
            code = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
            if await insert_once(self.s, LinkCode, code=code, partner_id=partner_id,
                                 expires_at=now + ttl):
                return code

    async def take(self, code: str, now: datetime, *, by: int) -> int | None:
        """The partner a code was given to, the code used up (unless sent by that partner
        themself, who may still take it to their other channel); None: unknown or expired."""
        key = normalize(code)[:16]
        mine = (await self.s.execute(select(LinkCode.partner_id).where(
            LinkCode.code == key, LinkCode.partner_id == by, LinkCode.expires_at > now))
        ).scalar_one_or_none()
        if mine is not None:
            return by
        # one statement decides who used it up: two workers taking the same code at once
        # (PostgreSQL) both read it, but only one deletes it (the ORM's delete let both in)
        taken = (await self.s.execute(
            delete(LinkCode).where(LinkCode.code == key)
            .returning(LinkCode.partner_id, LinkCode.expires_at)
            .execution_options(synchronize_session=False))).first()
        if taken is None:
            return None
        partner_id, expires_at = taken
        return int(partner_id) if expires_at > now else None

    async def partner_of(self, channel: str, user_id: str) -> int | None:
        return (await self.s.execute(
            select(PartnerIdentity.partner_id).where(PartnerIdentity.channel == channel,
                                                     PartnerIdentity.user_id == user_id))
        ).scalar_one_or_none()

    async def join(self, target: PartnerRecord, joining: PartnerRecord, *, chat_id: str,
                   now: datetime) -> None:
        """`joining` (the record made for the identity that sent the code, with nothing of
        its own yet) becomes part of `target`: its row goes, its identity is `target`'s
        from now on, and the one `target` is used last (where the bot writes to them)."""
        await self._keep(target.channel, target.external_id, target.chat_id, target.id, now)
        channel, user_id = joining.channel, joining.external_id
        await self.s.execute(delete(Partner).where(Partner.id == joining.id)
                             .execution_options(synchronize_session=False))
        await self._keep(channel, user_id, chat_id, target.id, now)
        await self.s.execute(update(Partner).where(Partner.id == target.id)
                             .values(channel=channel, external_id=user_id, chat_id=chat_id,
                                     last_active_at=now)
                             .execution_options(synchronize_session=False))

    async def _keep(self, channel: str, user_id: str, chat_id: str, partner_id: int,
                    now: datetime) -> None:
        await insert_once(self.s, PartnerIdentity, channel=channel, user_id=user_id,
                          chat_id=chat_id, partner_id=partner_id, created_at=now)
