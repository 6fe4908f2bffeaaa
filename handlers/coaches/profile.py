"""One partner as a coach sees them (`/partner`, `coachbot partner show`, the dashboard):
where they are, what they wrote, their quizzes and ratings, tickets and nudges.

`find` looks partners up by id, `channel:id` or name; `gather` collects a `PartnerProfile`,
plain data any view can render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboxMessage, OutboxStatus, Partner
from bot.storage.repos import PartnerRecord, Repos
from content.loader import Pack, PackLibrary
from handlers.learning.models import QuizAnswer
from handlers.learning.repo import AssessmentRepo, ProgressRepo, QuizRepo
from handlers.tickets.models import CoachTicket
from scheduler.outbox import NUDGE, OPEN

MAX_FOUND = 8
MAX_NUDGES = 10


@dataclass(frozen=True)
class Reflection:
    """A reflective answer with the prompt it answers."""

    module_id: str
    module_title: str
    step_id: str
    prompt: str
    answer: str
    at: datetime


@dataclass(frozen=True)
class QuizResult:
    """A finished quiz attempt; `missed` are the topics (or questions) answered wrong."""

    attempt_id: int
    quiz_id: str
    title: str
    score: int
    total: int
    passed: bool
    at: datetime | None
    missed: tuple[str, ...]


@dataclass(frozen=True)
class Rating:
    """One self-assessment statement, before and after the program (1-5, None: not yet)."""

    statement_id: str
    statement: str
    before: int | None
    after: int | None


@dataclass(frozen=True)
class TicketLine:
    id: int
    status: str
    question: str
    opened_at: datetime
    answered_by: str | None


@dataclass(frozen=True)
class NudgeLine:
    """A nudge sent or still planned (`status` is the outbox row's)."""

    text: str
    due_at: datetime
    sent_at: datetime | None
    status: str


@dataclass(frozen=True)
class PartnerProfile:
    """Everything a coach needs to talk to one partner, in the coaches' language."""

    partner_id: int
    name: str
    channel: str
    external_id: str
    language: str
    timezone: str
    cohort: str | None
    pack_id: str
    pack_title: str
    state: str
    # the module they are in (title), the step's number and the module's length
    module: str | None
    step_no: int | None
    steps: int | None
    modules_done: int
    modules_total: int
    reachable: bool
    opted_out: bool
    joined_at: datetime
    last_active_at: datetime
    reflections: tuple[Reflection, ...]
    quizzes: tuple[QuizResult, ...]
    ratings: tuple[Rating, ...]
    tickets: tuple[TicketLine, ...]
    nudges_sent: tuple[NudgeLine, ...]
    nudges_pending: tuple[NudgeLine, ...]

    @property
    def label(self) -> str:
        """How coaches name the partner: name and `channel:id`."""
        return f"{self.name} ({self.channel}:{self.external_id})"


class ProfileRepo:
    """The lookups of a partner's profile that no feature's repository offers."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def find(self, query: str, limit: int = MAX_FOUND) -> list[PartnerRecord]:
        """Partners matching `#12` / `12` (id), `telegram:123` or part of a name."""
        raw = query.strip().lstrip("#")
        if not raw:
            return []
        repos = Repos(self.s)
        if raw.isdigit() and len(raw) < 10:
            by_id = await repos.partners.by_id(int(raw))
            if by_id is not None:
                return [by_id]
        channel, sep, ext = raw.partition(":")
        if sep and ext:
            found = await repos.partners.get(channel.lower(), ext)
            if found is not None:
                return [found]
        pattern = "%" + raw.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        ids = (await self.s.execute(
            select(Partner.id).where(or_(func.lower(Partner.name).like(pattern, escape="\\"),
                                         Partner.external_id == raw))
            .order_by(Partner.last_active_at.desc()).limit(limit))).scalars().all()
        out = []
        for pid in ids:
            rec = await repos.partners.by_id(pid)
            if rec is not None:
                out.append(rec)
        return out

    async def wrong_answers(self, attempt_ids: list[int]) -> dict[int, list[str]]:
        """The question ids answered wrong, per attempt."""
        if not attempt_ids:
            return {}
        rows = await self.s.execute(
            select(QuizAnswer.attempt_id, QuizAnswer.question_id)
            .where(QuizAnswer.attempt_id.in_(attempt_ids), QuizAnswer.correct.is_(False))
            .order_by(QuizAnswer.id))
        out: dict[int, list[str]] = {}
        for aid, qid in rows:
            out.setdefault(aid, []).append(qid)
        return out

    async def tickets(self, partner_id: int) -> list[TicketLine]:
        rows = (await self.s.execute(
            select(CoachTicket).where(CoachTicket.partner_id == partner_id)
            .order_by(CoachTicket.id))).scalars()
        return [TicketLine(t.id, t.status, t.text, t.created_at, t.answered_by) for t in rows]

    async def nudges(self, partner_id: int) -> tuple[list[NudgeLine], list[NudgeLine]]:
        """(sent, still pending) nudges of the partner, the latest sent first."""
        rows = (await self.s.execute(
            select(OutboxMessage).where(OutboxMessage.partner_id == partner_id,
                                        OutboxMessage.kind == NUDGE)
            .order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc()))).scalars()
        sent: list[NudgeLine] = []
        pending: list[NudgeLine] = []
        for m in rows:
            line = NudgeLine(str((m.payload or {}).get("text", "")), m.due_at, m.sent_at,
                             m.status)
            if m.status == OutboxStatus.SENT.value:
                sent.append(line)
            elif m.status in OPEN:
                pending.append(line)
        return sent[:MAX_NUDGES], sorted(pending, key=lambda n: n.due_at)


def _quiz_title(pack: Pack, quiz_id: str, lang: str) -> str:
    quiz = pack.quiz(quiz_id)
    if quiz is None:
        return quiz_id
    module = pack.modules.get(quiz_id)
    return (module.title if module else quiz.title).get(lang)


def _missed(pack: Pack, quiz_id: str, question_ids: list[str], lang: str) -> tuple[str, ...]:
    """The topics of the questions answered wrong (the question's text when it has none)."""
    quiz = pack.quiz(quiz_id)
    if quiz is None:
        return tuple(question_ids)
    by_id = {q.id: q for q in quiz.questions}
    out: list[str] = []
    for qid in question_ids:
        q = by_id.get(qid)
        name = (q.topic or q.text).get(lang) if q else qid
        if name not in out:
            out.append(name)
    return tuple(out)


async def gather(repos: Repos, library: PackLibrary, partner: PartnerRecord,
                 lang: str) -> PartnerProfile:
    """Collects one partner's profile, texts in `lang` (the coaches' language)."""
    pack = library.packs.get(partner.pack_id) or next(iter(library.packs.values()))
    overview = await repos.get(ProgressRepo).overview(partner.id)
    cohort = await repos.cohorts.by_id(partner.cohort_id) if partner.cohort_id else None

    reflections = []
    for r in await repos.get(ProgressRepo).responses(partner.id):
        if r.kind != "reflect" or not r.text:
            continue
        module = pack.modules.get(r.module_id)
        step = next((s for s in module.steps if s.id == r.step_id), None) if module else None
        reflections.append(Reflection(r.module_id, module.title.get(lang) if module
                                      else r.module_id, r.step_id,
                                      step.text.get(lang) if step else r.step_id, r.text,
                                      r.created_at))

    profile_repo = repos.get(ProfileRepo)
    attempts = await repos.get(QuizRepo).history(partner.id)
    wrong = await profile_repo.wrong_answers([a.id for a in attempts])
    quizzes = tuple(QuizResult(a.id, a.quiz_id, _quiz_title(pack, a.quiz_id, lang), a.score,
                               a.total, bool(a.passed), a.finished_at,
                               _missed(pack, a.quiz_id, wrong.get(a.id, []), lang))
                    for a in attempts)

    assessment = repos.get(AssessmentRepo)
    before = await assessment.ratings(partner.id, "before")
    after = await assessment.ratings(partner.id, "after")
    ratings = tuple(Rating(s.id, s.text.get(lang), before.get(s.id), after.get(s.id))
                    for s in pack.assessment.statements)

    module = pack.modules.get(partner.module_id) if partner.module_id else None
    step_no = None
    if module is not None and partner.step_id:
        ids = [s.id for s in module.steps]
        step_no = ids.index(partner.step_id) + 1 if partner.step_id in ids else None
    done = sum(1 for mid, p in overview.progress.items() if p.completed and mid in pack.modules)
    sent, pending = await profile_repo.nudges(partner.id)
    return PartnerProfile(
        partner_id=partner.id, name=partner.name or partner.external_id,
        channel=partner.channel, external_id=partner.external_id, language=partner.language,
        timezone=partner.timezone, cohort=cohort.name if cohort else None,
        pack_id=pack.id, pack_title=pack.meta.title.get(lang), state=partner.state,
        module=module.title.get(lang) if module else None, step_no=step_no,
        steps=len(module.steps) if module else None, modules_done=done,
        modules_total=len(pack.module_order),
        reachable=bool(partner.chat_id) and not partner.blocked and not partner.opted_out,
        opted_out=partner.opted_out, joined_at=partner.created_at,
        last_active_at=partner.last_active_at, reflections=tuple(reflections),
        quizzes=quizzes, ratings=ratings, tickets=tuple(await profile_repo.tickets(partner.id)),
        nudges_sent=tuple(sent), nudges_pending=tuple(pending))
