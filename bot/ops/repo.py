"""What the people running the bot read from the database: the gauges and readiness."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboxMessage, OutboxStatus
from handlers.faq.models import FaqQuestion
from handlers.tickets.models import CoachTicket, TicketStatus


class OpsRepo:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def outbox_backlog(self) -> dict[str, int]:
        """Rows still to send (pending or being sent), by kind."""
        rows = await self.session.execute(
            select(OutboxMessage.kind, func.count()).where(OutboxMessage.status.in_(
                (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)))
            .group_by(OutboxMessage.kind))
        return {kind: int(n) for kind, n in rows.all()}

    async def faq_bands(self, since: datetime) -> dict[str, int]:
        rows = await self.session.execute(
            select(FaqQuestion.band, func.count()).where(FaqQuestion.created_at >= since)
            .group_by(FaqQuestion.band))
        return {band: int(n) for band, n in rows.all()}

    async def open_tickets(self) -> int:
        return int((await self.session.execute(
            select(func.count()).select_from(CoachTicket)
            .where(CoachTicket.status == TicketStatus.OPEN.value))).scalar_one())

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        try:
            async with self.session.begin_nested():
                return (await self.session.execute(
                    text("select version_num from alembic_version"))).scalar_one_or_none()
        except Exception:  # no alembic_version table yet
            return None
