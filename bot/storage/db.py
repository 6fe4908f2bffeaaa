"""The database handle: engine, one session and transaction per unit of work, migrations."""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# how long a statement waits for another connection's write lock (in aiosqlite's thread)
BUSY_WAIT_MS = 10_000
# the advisory-lock key under which one process at a time migrates a PostgreSQL database
MIGRATION_LOCK = 0x636F6D6967  # "comig"

# Set while an interactive transaction (one partner's message) runs: its SQLite statements
# run on the event loop's own thread. SQLite answers them in microseconds, while a hop to
# aiosqlite's thread costs a queue hand-off, a GIL switch and a loop wake-up each, which
# under load cost more than the statement itself. Long work (planner, reports, imports)
# keeps using the thread so it never stalls the loop.
_INLINE: ContextVar[bool] = ContextVar("coachbot_sqlite_inline", default=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # an inline statement must never sleep in SQLite's busy handler on the loop's thread:
    # it fails at once instead and waits in aiosqlite's thread (_OneHopConnection.run)
    cur.execute("PRAGMA busy_timeout=0")
    cur.close()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class _OneHopCursor:
    """An aiosqlite cursor that runs a statement in ONE trip to the connection's thread.

    aiosqlite's own cursor costs four trips per statement (open, execute, fetch, close), each
    a queue hand-off to its thread and a wake-up of the event loop; under load every trip
    waits its turn in the loop, which is what made SQLite statements slow inside `coachbot
    run`. Here the sqlite3 cursor is opened, executed, read to the end and closed in one call
    in that thread; the rows are served from memory afterwards (SQLAlchemy reads them all
    anyway). Inside an interactive transaction the same call runs on the loop's thread and
    makes no trip at all (see _INLINE).
    """

    arraysize = 1

    def __init__(self, conn: _OneHopConnection):
        self._owner = conn
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []
        self._pos = 0

    def __await__(self) -> Generator[Any, None, _OneHopCursor]:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> _OneHopCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def _run(self, method: str, sql: str, parameters: Any) -> tuple[Any, int, Any, list[Any]]:
        """In the connection's thread: run, read every row, close."""
        cur = self._owner._conn.cursor()
        try:
            getattr(cur, method)(sql, parameters)
            desc = cur.description
            rows = cur.fetchall() if desc else []
            return desc, cur.rowcount, cur.lastrowid, rows
        finally:
            cur.close()

    async def _call(self, method: str, sql: str, parameters: Any) -> _OneHopCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = (
            await self._owner.run(self._run, method, sql, parameters))
        self._pos = 0
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _OneHopCursor:
        return await self._call("execute", sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> _OneHopCursor:
        return await self._call("executemany", sql, parameters)

    async def fetchone(self) -> Any:
        if self._pos >= len(self._rows):
            return None
        self._pos += 1
        return self._rows[self._pos - 1]

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        n = self.arraysize if size is None else size
        out = self._rows[self._pos:self._pos + n]
        self._pos += len(out)
        return out

    async def fetchall(self) -> Sequence[Any]:
        out = self._rows[self._pos:]
        self._pos = len(self._rows)
        return out

    async def close(self) -> None:  # the sqlite3 cursor is closed already
        self._rows = []


class _OneHopConnection(aiosqlite.Connection):
    """aiosqlite's connection with one-trip cursors; COMMIT/ROLLBACK skip the trip to the
    thread when SQLite has no transaction open (read-only work, the pool's reset on return);
    inside an interactive transaction statements run inline on the loop's thread."""

    def cursor(self) -> _OneHopCursor:  # type: ignore[override]
        return _OneHopCursor(self)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs `fn` against the sqlite3 connection: inline when the transaction is
        interactive and no other connection holds the write lock, else in the thread."""
        if _INLINE.get():
            if self._connection is None:
                raise ValueError("Connection closed")
            try:
                return fn(*args)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                # another connection (a CLI command, a scheduler job) is writing: a busy
                # statement had no effect, so it is retried where waiting blocks no one
        return await self._execute(self._patiently, fn, *args)

    def _patiently(self, fn: Callable[..., T], *args: Any) -> T:
        """In the connection's thread: `fn` with SQLite's busy wait switched on."""
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout={BUSY_WAIT_MS}")
        try:
            return fn(*args)
        finally:
            conn.execute("PRAGMA busy_timeout=0")

    async def commit(self) -> None:
        if self._connection is None or self._connection.in_transaction:
            await self.run(self._conn.commit)

    async def rollback(self) -> None:
        if self._connection is None or self._connection.in_transaction:
            await self.run(self._conn.rollback)


def _one_hop_connect(database: str, **kwargs: Any) -> _OneHopConnection:
    """What aiosqlite.connect does, with the one-trip connection (SQLAlchemy awaits it)."""
    iter_chunk_size = kwargs.pop("iter_chunk_size", 64)

    # used from the loop's thread too (inline statements), never from two at once: a
    # pooled connection serves one session, whose statements are awaited one by one
    kwargs["check_same_thread"] = False

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    conn = _OneHopConnection(connector, iter_chunk_size)
    conn._thread.daemon = True
    return conn


_SQLITE_DRIVER = "coachbot_sqlite_driver"


async def run_in_sqlite(session: AsyncSession, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Runs `fn` on the sqlite3 connection of the session's transaction (begun if need be):
    on the loop's thread inside an interactive transaction, else in aiosqlite's thread.

    For the few statements every message runs, where SQLAlchemy's per-statement machinery
    costs more than SQLite itself; `fn` must leave the connection's transaction open."""
    # the transaction's connection, found once per transaction (a message runs two such
    # statements; finding it costs more than SQLite's insert)
    txn = session.sync_session.get_transaction()
    known = session.info.get(_SQLITE_DRIVER)
    if txn is not None and known is not None and known[0] is txn:
        driver = known[1]
    else:
        conn = await session.connection()
        driver = (await conn.get_raw_connection()).driver_connection
        if not isinstance(driver, _OneHopConnection):
            raise TypeError("run_in_sqlite needs a coachbot SQLite connection")
        session.info[_SQLITE_DRIVER] = (session.sync_session.get_transaction(), driver)
    return await driver.run(fn, driver._conn)


_PG_DRIVER = "coachbot_pg_driver"


async def postgres_driver(session: AsyncSession) -> Any | None:
    """The asyncpg connection of the session's transaction once that transaction has begun on
    the server (None before: SQLAlchemy sends BEGIN with its first statement).

    For the few statements every message runs after its first one (the reply rows, the
    /progress reads), where SQLAlchemy's per-statement machinery costs more CPU than the
    statement: they run straight on the driver, inside the same transaction. A fault there
    is asyncpg's own exception (`is_transient` knows them); rolling the transaction back
    then goes through SQLAlchemy, which invalidates a connection that dropped."""
    txn = session.sync_session.get_transaction()
    known = session.info.get(_PG_DRIVER)
    if txn is not None and known is not None and known[0] is txn:
        return known[1]
    if txn is None:
        return None
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    if driver is None or not driver.is_in_transaction():
        return None
    session.info[_PG_DRIVER] = (txn, driver)
    return driver


class _Compiled:
    """A statement compiled once for the dialect: its SQL, bind and result processors."""

    def __init__(self, stmt: Any, dialect: Any):
        c = stmt.compile(dialect=dialect)
        procs = {b.key: b.type._cached_bind_processor(dialect) for b in c.binds.values()}
        self.sql = str(c)
        # (name, processor, the statement's own value: a literal compared with)
        self.binds = [(n, procs.get(n), c.params.get(n)) for n in c.positiontup or ()]
        self.results = [col.type._cached_result_processor(dialect, None)
                        for col in stmt.selected_columns]

    def args(self, params: dict[str, Any]) -> list[Any]:
        args = []
        for n, proc, own in self.binds:
            v = params[n] if n in params else own
            args.append(proc(v) if proc else v)
        return args

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        procs = self.results
        return [tuple(p(v) if p else v for v, p in zip(row, procs, strict=True)) for row in rows]

    def run(self, conn: sqlite3.Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self.rows(conn.execute(self.sql, self.args(params)).fetchall())


# per engine dialect, per statement object (module-level constants): forgotten with the engine
_COMPILED: weakref.WeakKeyDictionary[Any, dict[int, tuple[Any, _Compiled]]] = (
    weakref.WeakKeyDictionary())


async def fetch_rows(session: AsyncSession, stmt: Any,
                     params: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
    """The rows of a read-only select the core runs on every message (a module-level
    statement, plain columns, named parameters), compiled once. On SQLite straight on the
    sqlite3 connection, on PostgreSQL on asyncpg's inside a begun transaction: SQLAlchemy's
    per-statement machinery costs more than the read."""
    dialect = session.bind.dialect if session.bind else None
    if dialect is None or dialect.name not in ("sqlite", "postgresql"):
        return (await session.execute(stmt, params)).all()
    known = _COMPILED.setdefault(dialect, {})
    entry = known.get(id(stmt))
    if entry is None or entry[0] is not stmt:
        entry = known[id(stmt)] = (stmt, _Compiled(stmt, dialect))
    compiled = entry[1]
    if dialect.name == "sqlite":
        return await run_in_sqlite(session, lambda conn: compiled.run(conn, params))
    driver = await postgres_driver(session)
    if driver is None:
        return (await session.execute(stmt, params)).all()
    return compiled.rows(await driver.fetch(compiled.sql, *compiled.args(params)))


class Database:
    """Owns the engine; hands out one session per inbound message or scheduler tick."""

    def __init__(self, url: str, **engine_kw: Any):
        self.url = url
        if url.startswith("sqlite"):
            connect_args = dict(engine_kw.get("connect_args") or {"timeout": 30})
            connect_args.setdefault("async_creator_fn", _one_hop_connect)
            engine_kw["connect_args"] = connect_args
        else:
            # no pool_pre_ping: a round trip before every transaction; a connection the
            # server dropped is detected on use instead, and CoachBot retries the message
            engine_kw.setdefault("pool_size", 10)
            # a connection past the pool would be opened and closed around one message (a
            # new server process each time): under load, waiting for a pooled one is cheaper
            engine_kw.setdefault("max_overflow", 0)
        # a failed statement's error names the SQL, never its values (a partner's message)
        engine_kw.setdefault("hide_parameters", True)
        self.engine: AsyncEngine = create_async_engine(url, **engine_kw)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self, *, interactive: bool = False) -> AsyncIterator[AsyncSession]:
        """One session, one transaction: committed on success, rolled back on error.

        `interactive`: a few short statements someone is waiting for (a partner's message);
        on SQLite they run on the loop's thread (see _INLINE)."""
        token = _INLINE.set(True) if interactive and self.is_sqlite else None
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            if token is not None:
                _INLINE.reset(token)

    async def migrate(self, revision: str = "head") -> None:
        async with self.engine.begin() as conn:
            if self.is_postgres:  # workers starting together migrate one after the other
                await conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            await conn.run_sync(_run_alembic, "upgrade", revision)

    async def downgrade(self, revision: str) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(_run_alembic, "downgrade", revision)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(connection)
    getattr(command, action)(cfg, revision)
