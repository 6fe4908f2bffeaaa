"""Tickets' repository: takes a session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Partner, Role
from handlers.tickets.models import CoachTicket, TicketMessage, TicketStatus

MAX_LOGGED = 4096


@dataclass(frozen=True)
class TicketRecord:
    id: int
    partner_id: int
    question_id: int | None
    channel: str
    text: str
    status: TicketStatus
    thread_open: bool
    created_at: datetime
    answered_at: datetime | None
    answered_by: str | None
    answer_seconds: int | None
    closed_at: datetime | None
    closed_by: str | None


def _ticket(row: CoachTicket) -> TicketRecord:
    return TicketRecord(row.id, row.partner_id, row.question_id, row.channel, row.text,
                        TicketStatus(row.status), row.thread_open, row.created_at,
                        row.answered_at, row.answered_by, row.answer_seconds, row.closed_at,
                        row.closed_by)


def ticket_ref(ticket_id: int) -> str:
    """The Reply.ref of a ticket message in the coaches' chat."""
    return f"t:{ticket_id}"


def parse_ticket_ref(ref: object) -> int | None:
    if isinstance(ref, str) and ref.startswith("t:") and ref[2:].isdigit():
        return int(ref[2:])
    return None


class TicketRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def create(self, *, partner_id: int, channel: str, text: str, now: datetime,
                     question_id: int | None = None) -> TicketRecord:
        row = CoachTicket(partner_id=partner_id, channel=channel, text=text[:MAX_LOGGED],
                          question_id=question_id, status=TicketStatus.OPEN.value,
                          thread_open=True, created_at=now)
        self.s.add(row)
        await self.s.flush()
        return _ticket(row)

    async def get(self, ticket_id: int) -> TicketRecord | None:
        row = await self.s.get(CoachTicket, ticket_id)
        return _ticket(row) if row else None

    async def current(self, partner_id: int) -> TicketRecord | None:
        """The partner's latest ticket that is not closed."""
        row = (await self.s.execute(
            select(CoachTicket).where(CoachTicket.partner_id == partner_id,
                                      CoachTicket.status != TicketStatus.CLOSED.value)
            .order_by(CoachTicket.id.desc()).limit(1))).scalar_one_or_none()
        return _ticket(row) if row else None

    async def coach_active_since(self, since: datetime) -> bool:
        """Whether a coach or admin wrote to the bot since `since`."""
        return (await self.s.execute(
            select(Partner.id).where(Partner.role.in_((Role.COACH.value, Role.ADMIN.value)),
                                     Partner.last_active_at >= since).limit(1))
        ).first() is not None

    async def count_open(self) -> int:
        return int((await self.s.execute(
            select(func.count()).select_from(CoachTicket)
            .where(CoachTicket.status == TicketStatus.OPEN.value))).scalar_one())

    async def not_closed(self) -> list[TicketRecord]:
        rows = (await self.s.execute(
            select(CoachTicket).where(CoachTicket.status != TicketStatus.CLOSED.value)
            .order_by(CoachTicket.id))).scalars()
        return [_ticket(r) for r in rows]

    async def add_message(self, ticket_id: int, author: str, author_name: str | None,
                          text: str, now: datetime) -> int:
        row = TicketMessage(ticket_id=ticket_id, author=author, author_name=author_name,
                            text=text[:MAX_LOGGED], created_at=now)
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def of_partner(self, partner_id: int) -> list[TicketRecord]:
        rows = (await self.s.execute(
            select(CoachTicket).where(CoachTicket.partner_id == partner_id)
            .order_by(CoachTicket.id))).scalars()
        return [_ticket(r) for r in rows]

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        return list((await self.s.execute(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id))).scalars())

    async def answered(self, ticket: TicketRecord, by: str, now: datetime) -> None:
        """Marks a coach's answer; the first one records who answered and how long it took."""
        values: dict[str, object] = {"status": TicketStatus.ANSWERED.value, "thread_open": True}
        if ticket.answered_at is None:
            values.update(answered_at=now, answered_by=by[:100],
                          answer_seconds=int((now - ticket.created_at).total_seconds()))
        await self.s.execute(update(CoachTicket).where(CoachTicket.id == ticket.id)
                             .values(**values))

    async def close(self, ticket_id: int, by: str, now: datetime) -> bool:
        result = await self.s.execute(
            update(CoachTicket).where(CoachTicket.id == ticket_id,
                                      CoachTicket.status != TicketStatus.CLOSED.value)
            .values(status=TicketStatus.CLOSED.value, thread_open=False, closed_at=now,
                    closed_by=by[:100]))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_thread(self, ticket_id: int, open_: bool) -> None:
        await self.s.execute(update(CoachTicket).where(CoachTicket.id == ticket_id)
                             .values(thread_open=open_))
