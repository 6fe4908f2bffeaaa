"""Learning's repositories: module progress, step answers, quiz attempts, self-assessment."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import fetch_rows
from bot.storage.models import Partner
from bot.storage.repos import insert_once, table_of
from handlers.learning.models import (
    AssessmentAnswer,
    ModuleProgress,
    QuizAnswer,
    QuizAttempt,
    StepResponse,
)


@dataclass(frozen=True)
class ProgressRecord:
    module_id: str
    step_id: str
    completed: bool
    updated_at: datetime


_MP = table_of(ModuleProgress)
_PROGRESS = select(_MP.c.module_id, _MP.c.step_id, _MP.c.completed_at.is_not(None),
                   _MP.c.updated_at).where(_MP.c.partner_id == bindparam("pid"))


class ProgressRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def all(self, partner_id: int) -> dict[str, ProgressRecord]:
        rows = await self.s.execute(_PROGRESS, {"pid": partner_id})
        return {mid: ProgressRecord(mid, sid, bool(done), at) for mid, sid, done, at in rows}

    async def overview(self, partner_id: int) -> Overview:
        """Module progress, finished quiz attempts and ratings by phase, in one round trip."""
        return await overview(self.s, partner_id)

    async def at_step(self, partner_id: int, module_id: str, step_id: str, now: datetime) -> None:
        """Saves where the partner is in a module (the resume point)."""
        changed = await self.s.execute(
            update(ModuleProgress)
            .where(ModuleProgress.partner_id == partner_id, ModuleProgress.module_id == module_id)
            .values(step_id=step_id, updated_at=now))
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            self.s.add(ModuleProgress(partner_id=partner_id, module_id=module_id, step_id=step_id,
                                      started_at=now, updated_at=now))
            await self.s.flush()

    async def complete(self, partner_id: int, module_id: str, step_id: str,
                       now: datetime) -> bool:
        """Marks a module finished; returns True the first time only."""
        await self.at_step(partner_id, module_id, step_id, now)
        result = await self.s.execute(
            update(ModuleProgress)
            .where(ModuleProgress.partner_id == partner_id, ModuleProgress.module_id == module_id,
                   ModuleProgress.completed_at.is_(None))
            .values(completed_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_response(self, partner_id: int, module_id: str, step_id: str, kind: str,
                              now: datetime, *, text: str | None = None,
                              option_id: str | None = None, correct: bool | None = None) -> None:
        self.s.add(StepResponse(partner_id=partner_id, module_id=module_id, step_id=step_id,
                                kind=kind, text=text, option_id=option_id, correct=correct,
                                created_at=now))

    async def responses(self, partner_id: int) -> list[StepResponse]:
        return list((await self.s.execute(
            select(StepResponse).where(StepResponse.partner_id == partner_id)
            .order_by(StepResponse.id))).scalars())


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    quiz_id: str
    score: int
    total: int
    passed: bool | None
    finished_at: datetime | None
    answers: dict[str, tuple[str, bool]]


class QuizRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def start(self, partner_id: int, quiz_id: str, total: int, now: datetime) -> int:
        attempt = QuizAttempt(partner_id=partner_id, quiz_id=quiz_id, started_at=now, total=total)
        self.s.add(attempt)
        await self.s.flush()
        return attempt.id

    async def open_attempt(self, partner_id: int, quiz_id: str) -> int | None:
        return (await self.s.execute(
            select(QuizAttempt.id).where(QuizAttempt.partner_id == partner_id,
                                         QuizAttempt.quiz_id == quiz_id,
                                         QuizAttempt.finished_at.is_(None))
            .order_by(QuizAttempt.id.desc()).limit(1))).scalar_one_or_none()

    async def get(self, attempt_id: int) -> AttemptRecord | None:
        attempt = await self.s.get(QuizAttempt, attempt_id)
        if attempt is None:
            return None
        rows = (await self.s.execute(
            select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id))).scalars()
        return AttemptRecord(attempt.id, attempt.quiz_id, attempt.score, attempt.total,
                             attempt.passed, attempt.finished_at,
                             {r.question_id: (r.option_id, r.correct) for r in rows})

    async def answer(self, attempt_id: int, question_id: str, option_id: str, correct: bool,
                     now: datetime) -> bool:
        """Records an answer once; a second answer to the same question is refused."""
        return await insert_once(self.s, QuizAnswer, attempt_id=attempt_id,
                                 question_id=question_id, option_id=option_id,
                                 correct=correct, created_at=now)

    async def finish(self, attempt_id: int, score: int, total: int, passed: bool,
                     now: datetime) -> None:
        await self.s.execute(update(QuizAttempt).where(QuizAttempt.id == attempt_id).values(
            score=score, total=total, passed=passed, finished_at=now))

    async def history(self, partner_id: int) -> list[AttemptRecord]:
        rows = await self.s.execute(_HISTORY, {"pid": partner_id})
        return [AttemptRecord(aid, qid, score, total, passed, at, {})
                for aid, qid, score, total, passed, at in rows]


_QA = table_of(QuizAttempt)
_HISTORY = (select(_QA.c.id, _QA.c.quiz_id, _QA.c.score, _QA.c.total, _QA.c.passed,
                   _QA.c.finished_at)
            .where(_QA.c.partner_id == bindparam("pid"), _QA.c.finished_at.is_not(None))
            .order_by(_QA.c.id))


class AssessmentRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def rate(self, partner_id: int, phase: str, statement_id: str, rating: int,
                   now: datetime) -> None:
        changed = await self.s.execute(
            update(AssessmentAnswer)
            .where(AssessmentAnswer.partner_id == partner_id, AssessmentAnswer.phase == phase,
                   AssessmentAnswer.statement_id == statement_id)
            .values(rating=rating, created_at=now))
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            self.s.add(AssessmentAnswer(partner_id=partner_id, phase=phase,
                                        statement_id=statement_id, rating=rating,
                                        created_at=now))
            await self.s.flush()

    async def ratings(self, partner_id: int, phase: str) -> dict[str, int]:
        rows = await self.s.execute(_RATINGS, {"pid": partner_id, "phase": phase})
        return {sid: rating for sid, rating in rows.all()}


_AA = table_of(AssessmentAnswer)
_RATINGS = select(_AA.c.statement_id, _AA.c.rating).where(
    _AA.c.partner_id == bindparam("pid"), _AA.c.phase == bindparam("phase"))


@dataclass(frozen=True)
class Overview:
    """Everything /progress shows: module progress, finished quiz attempts, ratings by phase."""

    progress: dict[str, ProgressRecord]
    attempts: list[AttemptRecord]
    ratings: dict[str, dict[str, int]]


def _overview_query() -> Any:
    """One UNION ALL over the three tables, so /progress costs one round trip, not four."""
    text, num, flag = String(), Integer(), Boolean()
    ts = _MP.c.updated_at.type
    pid: Any = bindparam("pid")
    progress = select(literal_column("'p'", text).label("kind"), _MP.c.id.label("id"),
                      _MP.c.module_id.label("k1"), _MP.c.step_id.label("k2"),
                      cast(null(), num).label("n1"), cast(null(), num).label("n2"),
                      _MP.c.completed_at.is_not(None).label("b"), _MP.c.updated_at.label("ts")
                      ).where(_MP.c.partner_id == pid)
    quizzes = select(literal_column("'q'", text), _QA.c.id, _QA.c.quiz_id, cast(null(), text),
                     _QA.c.score, _QA.c.total, _QA.c.passed, _QA.c.finished_at
                     ).where(_QA.c.partner_id == pid, _QA.c.finished_at.is_not(None))
    ratings = select(literal_column("'a'", text), _AA.c.id, _AA.c.phase, _AA.c.statement_id,
                     _AA.c.rating, cast(null(), num), cast(null(), flag), cast(null(), ts)
                     ).where(_AA.c.partner_id == pid)
    return union_all(progress, quizzes, ratings)


_OVERVIEW = _overview_query()


async def overview(session: AsyncSession, partner_id: int) -> Overview:
    """What ProgressRepo.all, QuizRepo.history and AssessmentRepo.ratings read, at once."""
    progress: dict[str, ProgressRecord] = {}
    attempts: list[AttemptRecord] = []
    ratings: dict[str, dict[str, int]] = {}
    rows = await fetch_rows(session, _OVERVIEW, {"pid": partner_id})
    for kind, id_, k1, k2, n1, n2, b, ts in rows:
        if kind == "p":
            progress[k1] = ProgressRecord(k1, k2, bool(b), ts)
        elif kind == "q":
            attempts.append(AttemptRecord(id_, k1, n1, n2, b, ts, {}))
        else:
            ratings.setdefault(k1, {})[k2] = n1
    attempts.sort(key=lambda a: a.id)
    return Overview(progress, attempts, ratings)




MAX_NAMES = 10


class LearningDigest:
    """The counts the coaches' daily digest shows of learning."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def _count(self, *where: ColumnElement[bool]) -> int:
        q = select(func.count()).select_from(Partner).where(Partner.role == "partner", *where)
        return int((await self.s.execute(q)).scalar_one())

    async def stalled(self, now: datetime) -> tuple[int, list[str]]:
        """Partners idle mid-module for a day to a week, and the longest-idle names."""
        # stalled mid-module for a day, not yet a week (a week idle counts as inactive)
        week = now - timedelta(days=7)
        where = (stalled(now, timedelta(hours=24)), Partner.state == "module",
                 Partner.last_active_at >= week)
        n = await self._count(*where)
        if not n:
            return 0, []
        rows = (await self.s.execute(
            select(Partner.name, Partner.external_id)
            .where(Partner.role == "partner", *where)
            .order_by(Partner.last_active_at).limit(MAX_NAMES))).all()
        return n, [name or f"#{ext}" for name, ext in rows]

    async def inactive(self, now: datetime) -> int:
        week = now - timedelta(days=7)
        return await self._count(Partner.onboarded_at.is_not(None), Partner.last_active_at < week)

    async def failed_quiz(self, now: datetime) -> int:
        day = now - timedelta(hours=24)
        return int((await self.s.execute(
            select(func.count(func.distinct(QuizAttempt.partner_id)))
            .where(QuizAttempt.finished_at >= day, QuizAttempt.passed.is_(False)))).scalar_one())


def finished_program() -> ColumnElement[bool]:
    """The partner passed the final quiz: through the program, never counted as stalled."""
    return exists().where(QuizAttempt.partner_id == Partner.id, QuizAttempt.quiz_id == "final",
                          QuizAttempt.passed.is_(True))


def stalled(now: datetime, idle_for: timedelta) -> ColumnElement[bool]:
    """The one definition of a stalled partner: in the program (not through the final quiz,
    not opted out) and without activity for more than `idle_for`. The digest narrows it to
    those stopped mid-module; the cohort report uses it as it is."""
    return and_(Partner.role == "partner", Partner.opted_out.is_(False),
                Partner.last_active_at < now - idle_for, ~finished_program())


@dataclass(frozen=True)
class GroupFigures:
    """Learning's figures for one group of partners."""

    finished: dict[str, int]  # module id -> partners who finished it
    quizzes: dict[str, tuple[int, int]]  # quiz id -> (attempted, passed)
    ratings: dict[tuple[str, str], list[int]]  # (phase, statement) -> ratings


class LearningReport:
    """Module, quiz and readiness figures per group of partners, read in chunks."""

    CHUNK = 5000

    def __init__(self, session: AsyncSession):
        self.s = session

    async def figures(self, groups: dict[str, tuple[int, ...]]) -> dict[str, GroupFigures]:
        group_of = {pid: code for code, ids in groups.items() for pid in ids}
        ids = list(group_of)
        finished: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        quiz: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        ratings: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(
            lambda: defaultdict(list))
        for i in range(0, len(ids), self.CHUNK):
            chunk = ids[i:i + self.CHUNK]
            for pid, mid in (await self.s.execute(
                    select(ModuleProgress.partner_id, ModuleProgress.module_id)
                    .where(ModuleProgress.partner_id.in_(chunk),
                           ModuleProgress.completed_at.is_not(None)))).all():
                finished[group_of[pid]][mid] += 1
            for pid, qid, best in (await self.s.execute(
                    select(QuizAttempt.partner_id, QuizAttempt.quiz_id,
                           func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)))
                    .where(QuizAttempt.partner_id.in_(chunk),
                           QuizAttempt.finished_at.is_not(None))
                    .group_by(QuizAttempt.partner_id, QuizAttempt.quiz_id))).all():
                stat = quiz[group_of[pid]][qid]
                stat[0] += 1
                stat[1] += int(bool(best))
            for pid, phase, sid, rating in (await self.s.execute(
                    select(AssessmentAnswer.partner_id, AssessmentAnswer.phase,
                           AssessmentAnswer.statement_id, AssessmentAnswer.rating)
                    .where(AssessmentAnswer.partner_id.in_(chunk)))).all():
                ratings[group_of[pid]][(phase, sid)].append(rating)
        return {code: GroupFigures(dict(finished[code]),
                                   {q: (a, p) for q, (a, p) in quiz[code].items()},
                                   dict(ratings[code])) for code in groups}
