"""Check-ins' repository: takes a session, never commits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import reply_from_dict
from bot.storage.models import OutboxMessage, OutboxStatus
from handlers.checkins.models import CheckinAnswer
from scheduler.outbox import NUDGE

MAX_ANSWER = 4096


@dataclass(frozen=True)
class Question:
    """A nudge that asked the partner something, as it was sent."""

    key: str
    kind: str
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class Answer:
    partner_id: int
    kind: str
    question: str
    answer: str
    answered_at: datetime


class CheckinRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def waiting(self, partner_id: int, kinds: Collection[str],
                      since: datetime) -> Question | None:
        """The partner's latest nudge, when it was sent after `since`, asks something (its
        kind is in `kinds`) and has no answer yet: their next words answer it."""
        row = (await self.s.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.payload, OutboxMessage.sent_at)
            .where(OutboxMessage.partner_id == partner_id, OutboxMessage.kind == NUDGE,
                   OutboxMessage.status == OutboxStatus.SENT.value,
                   OutboxMessage.sent_at >= since)
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(1))
        ).first()
        if row is None:
            return None
        key, payload, sent_at = row
        kind = str(payload.get("nudge", ""))
        if kind not in kinds or sent_at is None or await self._settled(key):
            return None
        return Question(key, kind, reply_from_dict(payload).text, sent_at)

    async def _settled(self, key: str) -> bool:
        return bool((await self.s.execute(
            select(exists().where(CheckinAnswer.prompt_key == key)))).scalar())

    async def answer(self, partner_id: int, question: Question, text: str | None,
                     now: datetime) -> None:
        """Keeps the partner's answer (None: they moved on without one), closing the question."""
        self.s.add(CheckinAnswer(partner_id=partner_id, prompt_key=question.key,
                                 kind=question.kind, question=question.text,
                                 answer=text[:MAX_ANSWER] if text is not None else None,
                                 asked_at=question.sent_at, answered_at=now))
        await self.s.flush()

    async def of_partner(self, partner_id: int, limit: int = 20) -> list[Answer]:
        """The partner's answers, newest first."""
        rows = (await self.s.execute(
            select(CheckinAnswer).where(CheckinAnswer.partner_id == partner_id,
                                        CheckinAnswer.answer.is_not(None))
            .order_by(CheckinAnswer.answered_at.desc(), CheckinAnswer.id.desc())
            .limit(limit))).scalars()
        return [_answer(r) for r in rows]

    async def since(self, when: datetime, limit: int = 3) -> tuple[int, list[Answer]]:
        """How many answers came in since `when`, and the latest `limit` of them."""
        answered = (CheckinAnswer.answered_at >= when, CheckinAnswer.answer.is_not(None))
        n = int((await self.s.execute(
            select(func.count()).select_from(CheckinAnswer).where(*answered))).scalar_one())
        rows = (await self.s.execute(
            select(CheckinAnswer).where(*answered)
            .order_by(CheckinAnswer.answered_at.desc(), CheckinAnswer.id.desc())
            .limit(limit))).scalars()
        return n, [_answer(r) for r in rows]


def _answer(row: CheckinAnswer) -> Answer:
    return Answer(row.partner_id, row.kind, row.question, row.answer or "", row.answered_at)
