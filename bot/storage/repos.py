"""Repositories: take a session, return plain records, never commit."""

from __future__ import annotations

import dataclasses
import secrets
import sqlite3
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import run_in_sqlite
from bot.storage.locks import PartnerTurns, turn_lock, turn_params
from bot.storage.models import Cohort, Partner, PartnerIdentity, ProcessedUpdate

# Statements on the per-message path are built once (module level or first use) and run with
# bound parameters: building a select / insert costs about as much as the round trip itself,
# and running it on the Table (not the ORM entity) skips the ORM's per-statement work.
_INSERT_ONCE: dict[tuple[str, Any], Any] = {}


def table_of(entity: Any) -> Table:
    """The Core table of an ORM entity (statements on it skip the ORM's per-row work)."""
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
    state: str
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

    @property
    def onboarded(self) -> bool:
        """Finished onboarding (profile and the first self-assessment)."""
        return self.onboarded_at is not None

    def move(self, state: str, *, module_id: str | None = None,
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
    rec = PartnerRecord(**values)
    rec._loaded = dict(values)
    return rec


def _record_from_row(row: Any) -> PartnerRecord:
    values = dict(zip(_PARTNER_FIELDS, row, strict=True))
    rec = PartnerRecord(**values)
    rec._loaded = dict(values)
    return rec


_PARTNERS = table_of(Partner)
_PARTNER_COLUMNS = [_PARTNERS.c[f] for f in _PARTNER_FIELDS]
_BY_KEY = (_PARTNERS.c.channel == bindparam("p_channel"),
           _PARTNERS.c.external_id == bindparam("p_external_id"))
_GET_PARTNER = select(*_PARTNER_COLUMNS).where(*_BY_KEY)
_IDENTITIES = table_of(PartnerIdentity)
_LINKED = (select(_IDENTITIES.c.partner_id, _IDENTITIES.c.chat_id)
           .where(_IDENTITIES.c.channel == bindparam("p_channel"),
                  _IDENTITIES.c.user_id == bindparam("p_external_id")))
_TOUCH_PARTNER = (update(_PARTNERS).where(*_BY_KEY)
                  .values(last_active_at=bindparam("p_now", _PARTNERS.c.last_active_at.type))
                  .returning(*_PARTNER_COLUMNS))


def _record_update(insert: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING of a message's update id, in the dialect of `insert`."""
    updates = table_of(ProcessedUpdate)
    return (insert(updates)
            .values(channel=bindparam("p_channel"), update_id=bindparam("p_update_id"),
                    created_at=bindparam("p_now", updates.c.created_at.type))
            .on_conflict_do_nothing())


def _arrival_statement() -> Any:
    """PostgreSQL: take the partner's turn, record the update id and load-and-stamp its
    partner in ONE statement.

    The turn (bot/storage/locks.py) is taken first: the update id's row is selected from it.
    The partner is stamped only when the update is new; the single row returned says whether
    it was (`fresh`) and carries the partner's columns (NULL for someone new, or for a
    partner another worker created while this statement waited for the turn: its snapshot
    predates the wait, so `arrive` looks again)."""
    turn = select(turn_lock().label("turn")).cte("turn")
    updates = table_of(ProcessedUpdate)
    source: Any = select(bindparam("p_channel", type_=String),
                         bindparam("p_update_id", type_=String),
                         bindparam("p_now", updates.c.created_at.type)).select_from(turn)
    ins = (postgresql.insert(updates)
           .from_select(["channel", "update_id", "created_at"], source)
           .on_conflict_do_nothing()
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
        first, rec = await self._arrive(channel, external_id, update_id, now)
        if first and rec is None and self._dialect() == "postgresql" and update_id is not None:
            # created by another worker while the arrival waited for the turn (its snapshot
            # is older than the wait): someone new pays this query once
            rec = await self.touch(channel, external_id, now)
        if first and rec is None:  # not their own identity: maybe one joined with /link
            rec = await self._arrive_linked(channel, external_id, now)
        return first, rec

    def _dialect(self) -> str:
        return self.s.bind.dialect.name if self.s.bind else "sqlite"

    async def _arrive(self, channel: str, external_id: str, update_id: str | None,
                      now: datetime) -> tuple[bool, PartnerRecord | None]:
        values = {"p_channel": channel, "p_external_id": external_id,
                  "p_update_id": update_id, "p_now": now}
        dialect = self.s.bind.dialect if self.s.bind else None
        if dialect is not None and dialect.name == "sqlite":
            return await self._arrive_sqlite(dialect, values)
        if update_id is None:
            await PartnerTurns(self.s).take(channel, external_id)
            return True, await self.touch(channel, external_id, now)
        row = (await self.s.execute(_ARRIVAL, {**values, **turn_params(channel, external_id)})
               ).one()
        if not row[0]:
            return False, None
        return True, (_record_from_row(row[1:]) if row[1] is not None else None)

    async def _arrive_linked(self, channel: str, external_id: str,
                             now: datetime) -> PartnerRecord | None:
        """A message from an identity joined to a partner with /link: that partner, whose
        own identity becomes this one (the channel they used last, where the bot's own
        messages and coaches' replies go). Only someone unknown pays this second query."""
        found = (await self.s.execute(
            _LINKED, {"p_channel": channel, "p_external_id": external_id})).first()
        if found is None:
            return None
        partner_id, chat_id = found
        row = (await self.s.execute(
            update(_PARTNERS).where(_PARTNERS.c.id == partner_id)
            .values(channel=channel, external_id=external_id, chat_id=chat_id,
                    last_active_at=now)
            .returning(*_PARTNER_COLUMNS))).first()
        return _record_from_row(row) if row else None

    async def _arrive_sqlite(self, dialect: Any,
                             values: dict[str, Any]) -> tuple[bool, PartnerRecord | None]:
        arrival = _SQLITE_ARRIVAL.get(dialect)
        if arrival is None:
            arrival = _SQLITE_ARRIVAL[dialect] = _SqliteArrival(dialect)
        first, row = await run_in_sqlite(self.s, lambda raw: arrival.run(raw, values))
        return first, (_record_from_row(row) if row is not None else None)

    async def get(self, channel: str, external_id: str) -> PartnerRecord | None:
        params = {"p_channel": channel, "p_external_id": external_id}
        row = (await self.s.execute(_GET_PARTNER, params)).first()
        if row is None:  # an identity joined with /link is the same partner
            found = (await self.s.execute(_LINKED, params)).first()
            return await self.by_id(found[0]) if found else None
        return _record_from_row(row)

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
                      language=language, state="new", created_at=now,
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
        values = {k: (str(v) if k == "state" else v) for k, v in changed.items()}
        await self.s.execute(update(_PARTNERS).where(_PARTNERS.c.id == rec.id).values(**values))
        rec._loaded.update(changed)

    async def count_new(self, since: datetime) -> int:
        """Partners (not coaches) who first wrote since `since`."""
        return int((await self.s.execute(
            select(func.count()).select_from(Partner)
            .where(Partner.role == "partner", Partner.created_at >= since))).scalar_one())

    async def with_roles(self, roles: tuple[str, ...]) -> list[tuple[str, str, str | None, str]]:
        """(channel, external id, name, role) of everyone with one of `roles`."""
        rows = await self.s.execute(
            select(Partner.channel, Partner.external_id, Partner.name, Partner.role)
            .where(Partner.role.in_(roles)).order_by(Partner.role, Partner.name, Partner.id))
        return [(c, e, n, r) for c, e, n, r in rows.all()]

    async def coach_chats(self) -> list[tuple[str, str, str]]:
        """(channel, chat id, language) of every coach and admin who can be reached."""
        rows = await self.s.execute(select(Partner.channel, Partner.chat_id, Partner.language)
                                    .where(Partner.role.in_(("coach", "admin")),
                                           Partner.blocked.is_(False)))
        return [(c, chat, lang) for c, chat, lang in rows.all()]

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


class SessionRepo(Protocol):
    def __init__(self, session: AsyncSession) -> None: ...


R = TypeVar("R", bound=SessionRepo)


class Repos:
    """The repositories of one unit of work (a partner's message, a scheduler tick).

    Each repository takes the session in its constructor; the session itself stays here,
    so handlers reach data only through repositories. `get(SomeRepo)` gives a feature's
    own repository, made once per unit of work.
    """

    __slots__ = ("_made", "_session", "cohorts", "partners")

    def __init__(self, session: AsyncSession):
        self._session = session
        self._made: dict[type, object] = {}
        self.partners = PartnerRepo(session)
        self.cohorts = CohortRepo(session)

    def get(self, repo: type[R]) -> R:
        made = self._made.get(repo)
        if made is None:
            made = self._made[repo] = repo(self._session)
        return made  # type: ignore[return-value]
