"""Repositories: take a session, return plain records, never commit."""

from __future__ import annotations

import dataclasses
import secrets
import sqlite3
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    delete,
    exists,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import run_in_sqlite
from bot.storage.models import (
    AssessmentAnswer,
    Cohort,
    ConvState,
    ModuleProgress,
    OutboxMessage,
    OutboxStatus,
    Partner,
    ProcessedUpdate,
    QuizAnswer,
    QuizAttempt,
    StepResponse,
)

# Statements on the per-message path are built once (module level or first use) and run with
# bound parameters: building a select / insert costs about as much as the round trip itself,
# and running it on the Table (not the ORM entity) skips the ORM's per-statement work.
_INSERT_ONCE: dict[tuple[str, Any], Any] = {}


def _table(entity: Any) -> Table:
    table = entity.__table__
    assert isinstance(table, Table)
    return table


async def insert_once(session: AsyncSession, table: Any, **values: Any) -> bool:
    """Inserts a row unless a unique key already has it; True when inserted.

    ON CONFLICT DO NOTHING instead of a savepoint: one round trip, and the transaction
    stays usable on PostgreSQL.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    stmt = _INSERT_ONCE.get((dialect, table))
    if stmt is None:
        target = getattr(table, "__table__", table)
        ins = (postgresql.insert(target) if dialect == "postgresql" else sqlite.insert(target))
        stmt = _INSERT_ONCE[(dialect, table)] = ins.on_conflict_do_nothing()
    result = await session.execute(stmt, values)
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class PartnerRecord:
    """A partner as handlers see it; changes are written back with PartnerRepo.save."""

    id: int
    channel: str
    external_id: str
    chat_id: str
    name: str | None
    language: str
    background: str | None
    timezone: str
    role: str
    cohort_id: int | None
    pack_id: str
    state: ConvState
    module_id: str | None
    step_id: str | None
    quiz_attempt_id: int | None
    position: str | None
    onboarded_at: datetime | None
    opted_out: bool
    blocked: bool
    created_at: datetime
    last_active_at: datetime
    _loaded: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def changes(self) -> dict[str, Any]:
        now = {f: getattr(self, f) for f in _PARTNER_FIELDS}
        return {k: v for k, v in now.items() if self._loaded.get(k, object()) != v}

    def move(self, state: ConvState, *, module_id: str | None = None,
             step_id: str | None = None, quiz_attempt_id: int | None = None,
             position: str | None = None) -> None:
        """Sets the conversation position in one go so no stale field survives a move."""
        self.state = state
        self.module_id = module_id
        self.step_id = step_id
        self.quiz_attempt_id = quiz_attempt_id
        self.position = position


_PARTNER_FIELDS = [f.name for f in dataclasses.fields(PartnerRecord) if not f.name.startswith("_")]


def _record(row: Partner) -> PartnerRecord:
    values = {f: getattr(row, f) for f in _PARTNER_FIELDS}
    values["state"] = ConvState(values["state"])
    rec = PartnerRecord(**values)
    rec._loaded = dict(values)
    return rec


def _record_from_row(row: Any) -> PartnerRecord:
    values = dict(zip(_PARTNER_FIELDS, row, strict=True))
    values["state"] = ConvState(values["state"])
    rec = PartnerRecord(**values)
    rec._loaded = dict(values)
    return rec


_PARTNERS = _table(Partner)
_PARTNER_COLUMNS = [_PARTNERS.c[f] for f in _PARTNER_FIELDS]
_BY_KEY = (_PARTNERS.c.channel == bindparam("p_channel"),
           _PARTNERS.c.external_id == bindparam("p_external_id"))
_GET_PARTNER = select(*_PARTNER_COLUMNS).where(*_BY_KEY)
_TOUCH_PARTNER = (update(_PARTNERS).where(*_BY_KEY)
                  .values(last_active_at=bindparam("p_now", _PARTNERS.c.last_active_at.type))
                  .returning(*_PARTNER_COLUMNS))


def _record_update(insert: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING of a message's update id, in the dialect of `insert`."""
    updates = _table(ProcessedUpdate)
    return (insert(updates)
            .values(channel=bindparam("p_channel"), update_id=bindparam("p_update_id"),
                    created_at=bindparam("p_now", updates.c.created_at.type))
            .on_conflict_do_nothing())


def _arrival_statement() -> Any:
    """PostgreSQL: record the update id and load-and-stamp its partner in ONE statement.

    The partner is stamped only when the update is new; the single row returned says whether
    it was (`fresh`) and carries the partner's columns (NULL for someone new)."""
    ins = (_record_update(postgresql.insert)
           .returning(literal_column("1").label("one"))
           .cte("fresh_update"))
    upd = (update(_PARTNERS).where(*_BY_KEY, exists(select(ins.c.one)))
           .values(last_active_at=bindparam("p_now", _PARTNERS.c.last_active_at.type))
           .returning(*_PARTNER_COLUMNS)
           .cte("touched"))
    fresh = select(func.count()).select_from(ins).scalar_subquery().label("fresh")
    anchor = select(literal_column("1").label("one")).subquery("anchor")
    return (select(fresh, *(upd.c[f] for f in _PARTNER_FIELDS))
            .select_from(anchor.outerjoin(upd, true())))


_ARRIVAL = _arrival_statement()


class _SqliteArrival:
    """SQLite: the same two steps as _ARRIVAL, compiled once by SQLAlchemy and run straight
    on the sqlite3 connection inside the session's transaction. These two statements run for
    every message; SQLAlchemy's per-statement machinery (execution context, result, two
    greenlet switches) cost more than SQLite itself (docs/bench/telegram.md, round 5). Values
    go through the columns' own bind and result processors, so rows read back exactly as
    through the session."""

    def __init__(self, dialect: Any):
        self.insert = self._compile(_record_update(sqlite.insert), dialect)
        self.touch = self._compile(_TOUCH_PARTNER, dialect)
        self.results = [col.type._cached_result_processor(dialect, None)
                        for col in _PARTNER_COLUMNS]

    @staticmethod
    def _compile(stmt: Any, dialect: Any) -> tuple[str, list[tuple[str, Any]]]:
        compiled = stmt.compile(dialect=dialect)
        names = list(compiled.positiontup or ())
        procs = {b.key: b.type._cached_bind_processor(dialect) for b in compiled.binds.values()}
        return str(compiled), [(n, procs.get(n)) for n in names]

    @staticmethod
    def _params(spec: list[tuple[str, Any]], values: dict[str, Any]) -> list[Any]:
        return [proc(values[n]) if proc else values[n] for n, proc in spec]

    def run(self, conn: sqlite3.Connection, values: dict[str, Any]) -> tuple[bool, Any]:
        """In the transaction: (False, None) for a redelivery, else (True, the row or None)."""
        if values["p_update_id"] is not None:
            cur = conn.execute(self.insert[0], self._params(self.insert[1], values))
            if cur.rowcount == 0:
                return False, None
        row = conn.execute(self.touch[0], self._params(self.touch[1], values)).fetchone()
        if row is None:
            return True, None
        return True, [proc(v) if proc else v for v, proc in zip(row, self.results, strict=True)]


# compiled per engine dialect, and forgotten with it
_SQLITE_ARRIVAL: weakref.WeakKeyDictionary[Any, _SqliteArrival] = weakref.WeakKeyDictionary()


class PartnerRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def arrive(self, channel: str, external_id: str, update_id: str | None,
                     now: datetime) -> tuple[bool, PartnerRecord | None]:
        """A message arrives: records its update id (False first: a redelivery, nothing else
        done) and loads the partner with last_active_at = now (None: someone new).

        One round trip on PostgreSQL; on SQLite, whose statements run in-process, two."""
        values = {"p_channel": channel, "p_external_id": external_id,
                  "p_update_id": update_id, "p_now": now}
        dialect = self.s.bind.dialect if self.s.bind else None
        if dialect is not None and dialect.name == "sqlite":
            return await self._arrive_sqlite(dialect, values)
        if update_id is None:
            return True, await self.touch(channel, external_id, now)
        row = (await self.s.execute(_ARRIVAL, values)).one()
        if not row[0]:
            return False, None
        return True, (_record_from_row(row[1:]) if row[1] is not None else None)

    async def _arrive_sqlite(self, dialect: Any,
                             values: dict[str, Any]) -> tuple[bool, PartnerRecord | None]:
        arrival = _SQLITE_ARRIVAL.get(dialect)
        if arrival is None:
            arrival = _SQLITE_ARRIVAL[dialect] = _SqliteArrival(dialect)
        first, row = await run_in_sqlite(self.s, lambda raw: arrival.run(raw, values))
        return first, (_record_from_row(row) if row is not None else None)

    async def get(self, channel: str, external_id: str) -> PartnerRecord | None:
        row = (await self.s.execute(
            _GET_PARTNER, {"p_channel": channel, "p_external_id": external_id})).first()
        return _record_from_row(row) if row else None

    async def touch(self, channel: str, external_id: str,
                    now: datetime) -> PartnerRecord | None:
        """Loads a partner and stamps last_active_at = now, in one round trip (None: unknown)."""
        params = {"p_channel": channel, "p_external_id": external_id, "p_now": now}
        row = (await self.s.execute(_TOUCH_PARTNER, params)).first()
        return _record_from_row(row) if row else None

    async def by_id(self, partner_id: int) -> PartnerRecord | None:
        row = await self.s.get(Partner, partner_id)
        return _record(row) if row else None

    async def create(self, *, channel: str, external_id: str, chat_id: str, pack_id: str,
                     now: datetime, language: str = "id", **extra: Any) -> PartnerRecord:
        row = Partner(channel=channel, external_id=external_id, chat_id=chat_id, pack_id=pack_id,
                      language=language, state=ConvState.NEW.value, created_at=now,
                      last_active_at=now, role=extra.pop("role", "partner"),
                      timezone=extra.pop("timezone", "Asia/Jakarta"), opted_out=False,
                      blocked=False, **extra)
        self.s.add(row)
        await self.s.flush()
        return _record(row)

    async def save(self, rec: PartnerRecord) -> None:
        changed = rec.changes()
        if not changed:
            return
        values = {k: (v.value if isinstance(v, ConvState) else v) for k, v in changed.items()}
        await self.s.execute(update(_PARTNERS).where(_PARTNERS.c.id == rec.id).values(**values))
        rec._loaded.update(changed)

    async def delete(self, partner_id: int) -> None:
        await self.s.execute(delete(Partner).where(Partner.id == partner_id))


class CohortRepo:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def create(self, name: str, pack_id: str, now: datetime,
                     code: str | None = None) -> Cohort:
        cohort = Cohort(code=code or secrets.token_hex(4), name=name, pack_id=pack_id,
                        created_at=now)
        self.s.add(cohort)
        await self.s.flush()
        return cohort

    async def by_code(self, code: str) -> Cohort | None:
        return (await self.s.execute(
            select(Cohort).where(Cohort.code == code))).scalar_one_or_none()

    async def by_id(self, cohort_id: int) -> Cohort | None:
        return await self.s.get(Cohort, cohort_id)

    async def by_name(self, name: str) -> Cohort | None:
        return (await self.s.execute(
            select(Cohort).where(Cohort.name == name))).scalars().first()

    async def all(self) -> list[Cohort]:
        return list((await self.s.execute(select(Cohort).order_by(Cohort.id))).scalars())


@dataclass(frozen=True)
class ProgressRecord:
    module_id: str
    step_id: str
    completed: bool
    updated_at: datetime


_MP = _table(ModuleProgress)
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


_QA = _table(QuizAttempt)
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


_AA = _table(AssessmentAnswer)
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
    rows = await session.execute(_OVERVIEW, {"pid": partner_id})
    for kind, id_, k1, k2, n1, n2, b, ts in rows:
        if kind == "p":
            progress[k1] = ProgressRecord(k1, k2, bool(b), ts)
        elif kind == "q":
            attempts.append(AttemptRecord(id_, k1, n1, n2, b, ts, {}))
        else:
            ratings.setdefault(k1, {})[k2] = n1
    attempts.sort(key=lambda a: a.id)
    return Overview(progress, attempts, ratings)


class OutboxRepo:
    """Writes proactive messages; the dispatcher in scheduler/ sends them."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def enqueue(self, *, channel: str, chat_id: str, kind: str,
                      payload: dict[str, Any], due_at: datetime, dedupe_key: str, now: datetime,
                      partner_id: int | None = None) -> bool:
        """Adds a row unless one with the same dedupe key exists; True when added."""
        return await insert_once(self.s, OutboxMessage, partner_id=partner_id, channel=channel,
                                 chat_id=chat_id, kind=kind, payload=payload, due_at=due_at,
                                 status=OutboxStatus.PENDING.value, attempts=0,
                                 dedupe_key=dedupe_key, created_at=now)

    async def count(self, status: OutboxStatus | None = None) -> int:
        q = select(func.count()).select_from(OutboxMessage)
        if status is not None:
            q = q.where(OutboxMessage.status == status.value)
        return int((await self.s.execute(q)).scalar_one())


@dataclass
class Repos:
    """Every repository bound to one session: what a handler gets in its context."""

    session: AsyncSession

    def __post_init__(self) -> None:
        self.partners = PartnerRepo(self.session)
        self.cohorts = CohortRepo(self.session)
        self.progress = ProgressRepo(self.session)
        self.quizzes = QuizRepo(self.session)
        self.assessments = AssessmentRepo(self.session)
        self.outbox = OutboxRepo(self.session)
