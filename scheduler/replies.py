"""Replies as reliable as nudges: the outbox idea applied to the answers of a message.

A reply is written to `replies_in_flight` in the same transaction as the state change it
belongs to, tagged with the process about to send it inline (its `owner`). Once the channel
is done with it (sent, refused, or handed to a deferred outbox row) its row is deleted: in the
next turn's transaction when one comes soon (no commit of its own), else by a short timer.
A process killed between the commit and the send leaves its rows behind; once it has not been
seen for the outbox lease, the dispatcher moves them to the outbox (`rescue`) and sends them.
So a crash duplicates at most the replies in flight (sent, not yet deleted: those since the
last turn) and loses none; a live process's slow replies are never taken from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Clock, Reply
from bot.storage.db import Database, postgres_driver, run_in_sqlite
from bot.storage.models import OutboxMessage, OutboxStatus, ReplyInFlight, ReplySender
from bot.storage.repos import table_of
from scheduler.outbox import payload_of

log = logging.getLogger(__name__)

REPLY = "reply"  # an outbox row's kind once a reply is moved there
_T = table_of(ReplyInFlight)
_S = table_of(ReplySender)
# the SQLite form of _INSERT per dialect: (sql, [(parameter, bind processor)])
_SQLITE: weakref.WeakKeyDictionary[Any, tuple[str, list[tuple[str, Any]]]] = (
    weakref.WeakKeyDictionary())
# one plain statement, compiled once: the ORM's bulk insert doubled the core's cost a message
_INSERT = text(
    "INSERT INTO replies_in_flight (key, owner, partner_id, channel, chat_id, payload,"
    " created_at) VALUES (:key, :owner, :partner_id, :channel, :chat_id, :payload,"
    " :created_at)",
).bindparams(*(bindparam(c, type_=_T.c[c].type) for c in ("payload", "created_at")))
_FORGET = delete(_T).where(_T.c.key.in_(bindparam("keys", expanding=True)))
# PostgreSQL: a turn's replies written and the settled ones deleted in one statement (a
# data-modifying WITH runs whether or not the INSERT reads it), in asyncpg's own terms
_PG_WRITE = (
    "WITH settled AS (DELETE FROM replies_in_flight WHERE key = ANY($1::varchar[]))"
    " INSERT INTO replies_in_flight (key, owner, partner_id, channel, chat_id, payload,"
    " created_at) SELECT u.key, $2::varchar, $3::integer, $4::varchar, u.chat_id,"
    " CAST(u.payload AS json), $5::timestamptz"
    " FROM unnest($6::varchar[], $7::varchar[], $8::text[]) AS u(key, chat_id, payload)")


def reply_key(channel: str, update_id: str, index: int) -> str:
    """The key of the `index`-th reply to an update."""
    return f"r:{channel}:{update_id}:{index}"


async def record_replies(session: AsyncSession, *, owner: str, channel: str, chat_id: str,
                         update_id: str, replies: Sequence[Reply], now: datetime,
                         partner_id: int | None, forget: Sequence[str] = ()) -> None:
    """Writes the replies to one update as in flight from `owner`, and deletes the rows of
    the replies in `forget` (settled since); nothing is committed."""
    rows = [{"key": reply_key(channel, update_id, i), "owner": owner,
             "partner_id": partner_id, "channel": channel, "chat_id": r.to_chat or chat_id,
             "payload": payload_of(r), "created_at": now}
            for i, r in enumerate(replies) if r.to_channel in (None, channel)]
    if not rows:
        await forget_replies(session, forget)
        return
    dialect = session.bind.dialect if session.bind else None
    if dialect is not None and dialect.name == "sqlite":
        # as the arrival does (bot/storage/repos.py): straight on the sqlite3 connection,
        # SQLAlchemy's per-statement machinery cost more than the insert itself; one trip
        insert_rows = _sqlite_insert(dialect)

        def write(conn: sqlite3.Connection) -> None:
            insert_rows(conn, rows)
            if forget:
                conn.execute(_sqlite_forget(len(forget)), list(forget))

        await run_in_sqlite(session, write)
        return
    if dialect is not None and dialect.name == "postgresql":
        args = (list(forget), owner, partner_id, channel, now, [r["key"] for r in rows],
                [r["chat_id"] for r in rows], [json.dumps(r["payload"]) for r in rows])
        # straight on asyncpg inside the turn's transaction (begun by its arrival)
        driver = await postgres_driver(session)
        if driver is not None:
            await driver.execute(_PG_WRITE, *args)
        else:
            await (await session.connection()).exec_driver_sql(_PG_WRITE, args)
        return
    await session.execute(_INSERT, rows)
    await forget_replies(session, forget)


def _sqlite_forget(n: int) -> str:
    return f"DELETE FROM replies_in_flight WHERE key IN ({','.join('?' * n)})"


def _sqlite_insert(dialect: Any) -> Callable[[sqlite3.Connection, list[dict[str, Any]]], None]:
    compiled = _SQLITE.get(dialect)
    if compiled is None:
        c = _INSERT.compile(dialect=dialect)
        procs = {b.key: b.type._cached_bind_processor(dialect) for b in c.binds.values()}
        compiled = _SQLITE[dialect] = (str(c), [(n, procs.get(n)) for n in c.positiontup or ()])
    sql, spec = compiled

    def run(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
        conn.executemany(sql, [[proc(r[n]) if proc else r[n] for n, proc in spec]
                               for r in rows])

    return run


async def forget_replies(session: AsyncSession, keys: Sequence[str]) -> None:
    """Deletes the rows of replies the channel is done with; nothing is committed."""
    if not keys:
        return
    dialect = session.bind.dialect if session.bind else None
    if dialect is not None and dialect.name == "sqlite":
        sql = _sqlite_forget(len(keys))
        await run_in_sqlite(session, lambda conn: conn.execute(sql, list(keys)))
        return
    await session.execute(_FORGET, {"keys": list(keys)})


class ReplyMarks:
    """This process's replies in flight: which the channel is done with, and the heartbeat
    that keeps the dispatcher off the others.

    `settle(key)` is cheap and synchronous. The next turn deletes what was settled in its
    own transaction (`take`, `put_back` if that transaction fails); when no turn comes
    within `every` seconds a background task deletes them in a transaction of its own.
    `gate` is held around that write (SQLite's single writer, shared with the core)."""

    def __init__(self, db: Database, clock: Clock, *, every: float = 0.2,
                 gate: asyncio.Lock | None = None, beat: float = 30.0):
        self.db = db
        self.clock = clock
        self.every = every
        self.gate = gate
        self.beat = beat
        self.owner = secrets.token_hex(8)
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._beating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Says this process is alive, and keeps saying it every `beat` seconds."""
        await self._seen()
        if self._beating is None:
            self._beating = asyncio.create_task(self._beat())

    async def _seen(self) -> None:
        now = self.clock.now()
        async with self._gated(), self.db.transaction() as s:
            done = await s.execute(update(_S).where(_S.c.owner == self.owner)
                                   .values(seen_at=now))
            if not done.rowcount:  # type: ignore[attr-defined]
                await s.execute(insert(_S).values(owner=self.owner, seen_at=now))

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.beat)
            try:
                await self._seen()
            except Exception as exc:  # a passing fault: the next beat tries again
                log.warning("reply sender heartbeat failed (%s)", type(exc).__name__)

    def settle(self, key: str) -> None:
        self._pending.add(key)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def take(self) -> list[str]:
        """The settled keys, for the caller's transaction to delete."""
        keys, self._pending = sorted(self._pending), set()
        return keys

    def put_back(self, keys: Iterable[str]) -> None:
        """Keys taken by a transaction that did not commit."""
        for key in keys:
            self.settle(key)

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self.every)
            await self.flush()

    async def flush(self) -> None:
        """Deletes every settled row now; a failed write is kept for the next try."""
        if not self._pending:
            return
        batch = self.take()
        try:
            # interactive: on SQLite the delete runs on the loop's thread, as the core's
            # statements do; through aiosqlite's thread it held the gate, and so the core,
            # for three thread hops a batch
            async with self._gated(), self.db.transaction(interactive=True) as s:
                await forget_replies(s, batch)
        except Exception as exc:  # the rows stay: kept for the next flush
            log.warning("could not settle %d replies (%s); will try again", len(batch),
                        type(exc).__name__)
            self._pending.update(batch)

    def _gated(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.gate if self.gate is not None else contextlib.nullcontext()

    async def close(self) -> None:
        """Settles what it can; the replies left unsent go to the dispatcher after the lease
        (this process is no longer seen from now on)."""
        for task in (self._task, self._beating):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._beating = None
        await self.flush()
        with contextlib.suppress(Exception):
            async with self._gated(), self.db.transaction() as s:
                await s.execute(delete(_S).where(_S.c.owner == self.owner))


async def rescue(session: AsyncSession, now: datetime, lease: timedelta,
                 channels: Iterable[str], limit: int = 500) -> int:
    """Moves replies left by processes not seen for `lease` to the outbox, due now, as rows
    of their own (the outbox's unique key keeps a reply from being moved twice); nothing is
    committed. Returns how many were moved."""
    alive = select(_S.c.owner).where(_S.c.seen_at >= now - lease)
    orphans = and_(_T.c.created_at < now - lease, _T.c.owner.not_in(alive),
                   _T.c.channel.in_(list(channels)))
    rows = (await session.execute(
        select(_T.c.key, _T.c.partner_id, _T.c.channel, _T.c.chat_id, _T.c.payload,
               _T.c.created_at).where(orphans).order_by(_T.c.created_at, _T.c.key)
        .limit(limit))).all()
    if not rows:
        return 0
    ob = table_of(OutboxMessage)
    dialect = session.bind.dialect.name if session.bind else ""
    ins = postgresql.insert(ob) if dialect == "postgresql" else sqlite.insert(ob)
    await session.execute(ins.on_conflict_do_nothing(index_elements=[ob.c.dedupe_key]), [
        {"partner_id": r.partner_id, "channel": r.channel, "chat_id": r.chat_id,
         "kind": REPLY, "payload": r.payload, "due_at": now,
         "status": OutboxStatus.PENDING.value, "attempts": 0, "dedupe_key": r.key,
         "created_at": r.created_at} for r in rows])
    await session.execute(_FORGET, {"keys": [r.key for r in rows]})
    await session.execute(delete(_S).where(_S.c.seen_at < now - lease))
    log.warning("%d replies left by a stopped process go out through the outbox", len(rows))
    return len(rows)
