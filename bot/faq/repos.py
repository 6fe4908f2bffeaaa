"""Repositories for the FAQ log and coach tickets: take a session, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.faq.index import Band, Match
from bot.storage.faq_models import CoachTicket, FaqQuestion, TicketMessage, TicketStatus
from bot.storage.models import OutboxMessage, OutboxStatus

MAX_LOGGED = 4096


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    partner_id: int | None
    pack_id: str
    lang: str
    text: str
    entry_id: str | None
    confidence: float
    band: Band
    offered: list[str]
    chosen_entry_id: str | None
    helped: bool | None
    created_at: datetime


def _question(row: FaqQuestion) -> QuestionRecord:
    return QuestionRecord(row.id, row.partner_id, row.pack_id, row.lang, row.text, row.entry_id,
                          row.confidence, Band(row.band), list(row.offered or []),
                          row.chosen_entry_id, row.helped, row.created_at)


class FaqLogRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def log(self, *, partner_id: int | None, pack_id: str, lang: str, text: str,
                  match: Match, now: datetime) -> QuestionRecord:
        offered = [h.entry_id for h in match.hits] if match.band is Band.OFFER else []
        row = FaqQuestion(partner_id=partner_id, pack_id=pack_id, lang=lang,
                          text=text[:MAX_LOGGED], entry_id=match.top,
                          confidence=round(match.confidence, 4), band=match.band.value,
                          offered=offered, created_at=now)
        self.s.add(row)
        await self.s.flush()
        return _question(row)

    async def get(self, question_id: int) -> QuestionRecord | None:
        row = await self.s.get(FaqQuestion, question_id)
        return _question(row) if row else None

    async def feedback(self, question_id: int, helped: bool, now: datetime) -> bool:
        """Records the partner's "did this help?"; False when already answered."""
        result = await self.s.execute(
            update(FaqQuestion).where(FaqQuestion.id == question_id,
                                      FaqQuestion.helped.is_(None))
            .values(helped=helped, feedback_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def choose(self, question_id: int, entry_id: str) -> None:
        await self.s.execute(update(FaqQuestion).where(FaqQuestion.id == question_id)
                             .values(chosen_entry_id=entry_id))

    async def gaps(self, pack_id: str | None = None,
                   since: datetime | None = None) -> list[QuestionRecord]:
        """Questions the engine could not answer, or whose answer did not help."""
        q = select(FaqQuestion).where(
            (FaqQuestion.band == Band.NONE.value) | (FaqQuestion.helped.is_(False)))
        if pack_id:
            q = q.where(FaqQuestion.pack_id == pack_id)
        if since:
            q = q.where(FaqQuestion.created_at >= since)
        rows = (await self.s.execute(q.order_by(FaqQuestion.id))).scalars()
        return [_question(r) for r in rows]


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

    async def by_message_ref(self, channel: str, chat_id: str, message_ref: str) -> int | None:
        """The ticket a message in the coaches' chat belongs to (for a coach's reply)."""
        rows = (await self.s.execute(
            select(OutboxMessage.payload).where(OutboxMessage.channel == channel,
                                                OutboxMessage.chat_id == chat_id,
                                                OutboxMessage.message_ref == message_ref)
        )).scalars().all()
        for payload in rows:
            found = parse_ticket_ref(payload.get("ref") if isinstance(payload, dict) else None)
            if found is not None:
                return found
        return None

    async def cancel_reminders(self, ticket_id: int) -> None:
        await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"ticket:{ticket_id}:remind:%"),
                   OutboxMessage.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value))
