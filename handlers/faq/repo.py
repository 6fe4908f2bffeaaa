"""The FAQ question log: takes a session, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.faq.engine.index import Band, Match
from handlers.faq.models import FaqQuestion

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

    async def of_partner(self, partner_id: int) -> list[QuestionRecord]:
        rows = (await self.s.execute(
            select(FaqQuestion).where(FaqQuestion.partner_id == partner_id)
            .order_by(FaqQuestion.id))).scalars()
        return [_question(r) for r in rows]

    async def get(self, question_id: int) -> QuestionRecord | None:
        row = await self.s.get(FaqQuestion, question_id)
        return _question(row) if row else None

    async def latest(self, partner_id: int) -> QuestionRecord | None:
        """The partner's last logged question."""
        row = (await self.s.execute(
            select(FaqQuestion).where(FaqQuestion.partner_id == partner_id)
            .order_by(FaqQuestion.id.desc()).limit(1))).scalar_one_or_none()
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

    async def digest(self, since: datetime) -> tuple[int, int, int, list[str]]:
        """Questions since `since`: how many, unanswered, unhelpful, and the latest three of
        those the FAQ could not settle."""
        asked = select(func.count()).select_from(FaqQuestion).where(
            FaqQuestion.created_at >= since)
        total = int((await self.s.execute(asked)).scalar_one())
        unanswered = int((await self.s.execute(
            asked.where(FaqQuestion.band == Band.NONE.value))).scalar_one())
        unhelpful = int((await self.s.execute(
            asked.where(FaqQuestion.helped.is_(False)))).scalar_one())
        recent: list[str] = []
        if unanswered or unhelpful:
            recent = list((await self.s.execute(
                select(FaqQuestion.text).where(
                    FaqQuestion.created_at >= since,
                    (FaqQuestion.band == Band.NONE.value) | FaqQuestion.helped.is_(False))
                .order_by(FaqQuestion.id.desc()).limit(3))).scalars().all())
        return total, unanswered, unhelpful, recent
