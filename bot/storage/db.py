"""The database handle: engine, one session and transaction per unit of work, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Generator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class _OneHopCursor:
    """An aiosqlite cursor that runs a statement in ONE trip to the connection's thread.

    aiosqlite's own cursor costs four trips per statement (open, execute, fetch, close), each
    a queue hand-off to its thread and a wake-up of the event loop; under load every trip
    waits its turn in the loop, which is what made SQLite statements slow inside `coachbot
    run`. Here the sqlite3 cursor is opened, executed, read to the end and closed in one call
    in that thread; the rows are served from memory afterwards (SQLAlchemy reads them all
    anyway).
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
            await self._owner._execute(self._run, method, sql, parameters))
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
    thread when SQLite has no transaction open (read-only work, the pool's reset on return)."""

    def cursor(self) -> _OneHopCursor:  # type: ignore[override]
        return _OneHopCursor(self)

    async def commit(self) -> None:
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().commit()

    async def rollback(self) -> None:
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()


def _one_hop_connect(database: str, **kwargs: Any) -> _OneHopConnection:
    """What aiosqlite.connect does, with the one-trip connection (SQLAlchemy awaits it)."""
    iter_chunk_size = kwargs.pop("iter_chunk_size", 64)

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    conn = _OneHopConnection(connector, iter_chunk_size)
    conn._thread.daemon = True
    return conn


class Database:
    """Owns the engine; hands out one session per inbound message or scheduler tick."""

    def __init__(self, url: str, **engine_kw: Any):
        self.url = url
        if url.startswith("sqlite"):
            connect_args = dict(engine_kw.get("connect_args") or {"timeout": 30})
            connect_args.setdefault("async_creator_fn", _one_hop_connect)
            engine_kw["connect_args"] = connect_args
        else:
            engine_kw.setdefault("pool_size", 10)
            engine_kw.setdefault("pool_pre_ping", True)
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
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session, one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self, revision: str = "head") -> None:
        async with self.engine.begin() as conn:
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
