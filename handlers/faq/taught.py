"""What coaches teach the FAQ: a ticket's question and answer as a new entry, or a question
as one more wording of an entry. Stored in the database; each pack's index is rebuilt with
them when they change, so the next partner who asks gets the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.repos import Repos
from content.loader import Pack, PackLibrary
from content.schema import FaqEntry
from handlers.faq.engine import FaqIndex, Thresholds
from handlers.faq.models import FaqTaught
from handlers.tickets.repo import TicketRepo

MAX_QUESTION = 500


class TeachError(ValueError):
    """What cannot be taught; `key` is a UI message, `values` fill it."""

    def __init__(self, key: str, **values: object):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Taught:
    id: int
    pack_id: str
    entry_id: str
    lang: str
    question: str
    answer_id: str | None
    answer_en: str | None
    ticket_id: int | None

    def entry(self) -> FaqEntry:
        """A new entry as a pack's faq.yaml would hold it (one wording; the answer in both
        languages, the other falling back on the one the coach wrote)."""
        answer_id = self.answer_id or self.answer_en or ""
        return FaqEntry.model_validate({
            "id": self.entry_id, "questions": {"id": [self.question], "en": [self.question]},
            "answer": {"id": answer_id, "en": self.answer_en or answer_id}})


def _taught(row: FaqTaught) -> Taught:
    return Taught(row.id, row.pack_id, row.entry_id, row.lang, row.question, row.answer_id,
                  row.answer_en, row.ticket_id)


class TaughtRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def version(self, pack_id: str) -> int:
        """Grows whenever something is taught to the pack (0: nothing yet)."""
        return int((await self.s.execute(
            select(func.coalesce(func.max(FaqTaught.id), 0))
            .where(FaqTaught.pack_id == pack_id))).scalar_one())

    async def of_pack(self, pack_id: str) -> list[Taught]:
        rows = (await self.s.execute(select(FaqTaught).where(FaqTaught.pack_id == pack_id)
                                     .order_by(FaqTaught.id))).scalars()
        return [_taught(r) for r in rows]

    async def by_ticket(self, ticket_id: int) -> Taught | None:
        row = (await self.s.execute(select(FaqTaught).where(
            FaqTaught.ticket_id == ticket_id))).scalar_one_or_none()
        return _taught(row) if row else None

    async def add(self, t: Taught, by: str, now: datetime) -> Taught:
        row = FaqTaught(pack_id=t.pack_id, entry_id=t.entry_id, lang=t.lang,
                        question=t.question, answer_id=t.answer_id, answer_en=t.answer_en,
                        ticket_id=t.ticket_id, created_by=by[:100], created_at=now)
        self.s.add(row)
        await self.s.flush()
        return _taught(row)


def build_index(pack: Pack, taught: Sequence[Taught], thresholds: Thresholds) -> FaqIndex:
    """The pack's index with what coaches taught it: new entries after the pack's own, and
    taught wordings ahead of the pack's asked questions (the engine reads the first few)."""
    entries = list(pack.faq)
    known = {e.id for e in entries}
    asked: dict[str, list[str]] = {}
    for t in taught:
        if t.answer_id is not None or t.answer_en is not None:
            if t.entry_id not in known:
                entries.append(t.entry())
                known.add(t.entry_id)
            continue
        asked.setdefault(t.entry_id, []).append(t.question)
    for entry_id, questions in pack.faq_asked.items():
        mine = asked.setdefault(entry_id, [])
        mine.extend(q for q in questions if q not in mine)
    return FaqIndex(entries, thresholds, asked=asked, pack=pack.id)


def check(pack: Pack, taught: Sequence[Taught], *, question: str, answer: str | None,
          entry_id: str) -> str:
    """Validates a new entry or wording as a pack file would be; returns the question as
    stored (one line). Raises TeachError."""
    text = " ".join(question.split())
    if not text or len(text) > MAX_QUESTION:
        raise TeachError("faq_add_question_invalid", max=MAX_QUESTION)
    ids = {e.id for e in pack.faq} | {t.entry_id for t in taught
                                      if t.answer_id is not None or t.answer_en is not None}
    if answer is None:
        if entry_id not in ids:
            raise TeachError("faq_add_no_entry", entry=entry_id)
        return text
    if entry_id in ids:
        raise TeachError("faq_add_entry_exists", entry=entry_id)
    try:
        Taught(0, pack.id, entry_id, "id", text, answer, None, None).entry()
    except ValidationError as exc:
        raise TeachError("faq_add_invalid", problem=exc.errors()[0]["msg"]) from None
    return text


@dataclass(frozen=True)
class TicketQuestion:
    """A ticket as the FAQ would learn it: the partner's pack and language, their question
    and the coach's latest answer."""

    ticket_id: int
    pack: Pack
    lang: str
    question: str
    answer: str


async def from_ticket(repos: Repos, library: PackLibrary, default_pack: str,
                      ticket_id: int) -> TicketQuestion:
    tickets = repos.get(TicketRepo)
    ticket = await tickets.get(ticket_id)
    partner = await repos.partners.by_id(ticket.partner_id) if ticket else None
    if ticket is None or partner is None:
        raise TeachError("faq_add_no_ticket", ticket=ticket_id)
    messages = await tickets.messages(ticket.id)
    question = ticket.text or next((m.text for m in messages if m.author == "partner"), "")
    answer = next((m.text for m in reversed(messages) if m.author == "coach"), "")
    if not question.strip() or not answer.strip():
        raise TeachError("faq_add_unanswered", ticket=ticket_id)
    pack = library.packs.get(partner.pack_id) or library.fallback(None, default_pack)
    return TicketQuestion(ticket_id, pack, partner.language, question, answer.strip())


async def teach(repos: Repos, pack: Pack, *, lang: str, question: str, entry_id: str,
                answer: str | None = None, answer_en: str | None = None,
                ticket_id: int | None = None, by: str, now: datetime) -> Taught:
    """Files a new entry (with an answer; `answer` in `lang`, `answer_en` in English when
    given too) or another wording of `entry_id` (no answer). Raises TeachError."""
    repo = repos.get(TaughtRepo)
    if ticket_id is not None:
        done = await repo.by_ticket(ticket_id)
        if done is not None:
            raise TeachError("faq_add_already", ticket=ticket_id, entry=done.entry_id)
    new = answer is not None or answer_en is not None
    if new and lang == "en" and answer_en is None:
        answer, answer_en = None, answer
    text = check(pack, await repo.of_pack(pack.id), question=question,
                 answer=(answer or answer_en) if new else None, entry_id=entry_id)
    return await repo.add(Taught(0, pack.id, entry_id, lang, text, answer if new else None,
                                 answer_en if new else None, ticket_id), by, now)
