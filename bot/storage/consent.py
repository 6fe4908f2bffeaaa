"""Consent to be written to on WhatsApp given outside a chat (a roster row that says so).
A partner who writes first consents by writing (bot/channels/whatsapp/store.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import WhatsAppChat
from bot.storage.repos import insert_once

ROSTER = "roster"


class WhatsAppConsent:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def from_roster(self, wa_id: str, now: datetime) -> None:
        """Records the roster's consent unless consent is already recorded."""
        if not await insert_once(self.s, WhatsAppChat, wa_id=wa_id, last_inbound_at=None,
                                 opt_in=ROSTER, menu=None, updated_at=now):
            await self.s.execute(update(WhatsAppChat).where(
                WhatsAppChat.wa_id == wa_id, WhatsAppChat.opt_in.is_(None))
                .values(opt_in=ROSTER, updated_at=now))
