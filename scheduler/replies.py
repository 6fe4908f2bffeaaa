"""Replies as reliable as nudges: the outbox applied to the answers of a message.

A reply is written as an outbox row in the same transaction as the state change it belongs
to, already claimed (`sending`) by the process that is about to send it inline. Once sent,
its row is deleted, in small batches off the message's path. A process killed between the
commit and the send leaves the row `sending`; after the outbox lease the dispatcher sends it
like any other row. So a crash duplicates at most the replies in flight (sent, not yet
settled) and loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Clock, Reply
from bot.storage.db import Database, run_in_sqlite
from bot.storage.models import OutboxMessage, OutboxStatus
from bot.storage.repos import table_of
from scheduler.outbox import payload_of

log = logging.getLogger(__name__)

REPLY = "reply"
_T = table_of(OutboxMessage)
# the SQLite form of _INSERT per dialect: (sql, [(parameter, bind processor)])
_SQLITE: weakref.WeakKeyDictionary[Any, tuple[str, list[tuple[str, Any]]]] = (
    weakref.WeakKeyDictionary())
# one plain statement, compiled once: the ORM's bulk insert doubled the core's cost a message
_INSERT = text(
    "INSERT INTO outbox (partner_id, channel, chat_id, kind, payload, due_at, status,"
    " attempts, dedupe_key, created_at, claimed_at) VALUES (:partner_id, :channel, :chat_id,"
    " :kind, :payload, :due_at, :status, :attempts, :dedupe_key, :created_at, :claimed_at)",
).bindparams(*(bindparam(c, type_=_T.c[c].type)
               for c in ("payload", "due_at", "created_at", "claimed_at")))


def reply_key(channel: str, update_id: str, index: int) -> str:
    """The dedupe key of the `index`-th reply to an update."""
    return f"r:{channel}:{update_id}:{index}"


async def record_replies(session: AsyncSession, *, channel: str, chat_id: str,
                         update_id: str, replies: Sequence[Reply], now: datetime,
                         partner_id: int | None) -> None:
    """Writes the replies to one update, claimed for sending now; nothing is committed."""
    rows = [{"partner_id": partner_id, "channel": channel,
             "chat_id": r.to_chat or chat_id, "kind": REPLY, "payload": payload_of(r),
             "due_at": now, "status": OutboxStatus.SENDING.value, "attempts": 1,
             "dedupe_key": reply_key(channel, update_id, i), "created_at": now,
             "claimed_at": now}
            for i, r in enumerate(replies) if r.to_channel in (None, channel)]
    if not rows:
        return
    dialect = session.bind.dialect if session.bind else None
    if dialect is not None and dialect.name == "sqlite":
        # as the arrival does (bot/storage/repos.py): straight on the sqlite3 connection,
        # SQLAlchemy's per-statement machinery cost more than the insert itself
        insert_rows = _sqlite_insert(dialect)
        await run_in_sqlite(session, lambda conn: insert_rows(conn, rows))
        return
    await session.execute(_INSERT, rows)


def _sqlite_insert(dialect: Any) -> Callable[[sqlite3.Connection, list[dict[str, Any]]], None]:
    compiled = _SQLITE.get(dialect)
    if compiled is None:
        c = _INSERT.compile(dialect=dialect)
        procs = {b.key: b.type._cached_bind_processor(dialect) for b in c.binds.values()}
        compiled = _SQLITE[dialect] = (str(c), [(n, procs.get(n)) for n in c.positiontup or ()])
    sql, spec = compiled

    def run(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
        # the three stamps of every row are one datetime: converted once
        done: dict[tuple[int, int], Any] = {}

        def bind(proc: Any, value: Any) -> Any:
            key = (id(proc), id(value))
            if key not in done:
                done[key] = proc(value)
            return done[key]

        conn.executemany(sql, [[bind(proc, r[n]) if proc else r[n] for n, proc in spec]
                               for r in rows])

    return run


class ReplyMarks:
    """Deletes reply rows once the channel is done with them (sent, refused, or handed to a
    deferred row), a batch at a time: a delivered reply needs no record, and the table does
    not grow with every message nor keep what a partner said after /deletedata.

    `settle(key)` is cheap and synchronous; a background task writes the batch.
    `gate` is held around each write (SQLite's single writer, shared with the core)."""

    def __init__(self, db: Database, clock: Clock, *, every: float = 0.2,
                 gate: asyncio.Lock | None = None):
        self.db = db
        self.clock = clock
        self.every = every
        self.gate = gate
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def settle(self, key: str) -> None:
        self._pending.add(key)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self.every)
            await self.flush()

    async def flush(self) -> None:
        """Writes every pending mark now; a failed write is kept for the next try."""
        if not self._pending:
            return
        batch, self._pending = sorted(self._pending), set()
        try:
            # interactive: on SQLite the delete runs on the loop's thread, as the core's
            # statements do; through aiosqlite's thread it held the gate, and so the core,
            # for three thread hops a batch
            async with self._gated():
                async with self.db.transaction(interactive=True) as s:
                    await s.execute(
                        delete(OutboxMessage)
                        .where(OutboxMessage.dedupe_key.in_(batch),
                               OutboxMessage.status == OutboxStatus.SENDING.value)
                        .execution_options(synchronize_session=False))
        except Exception as exc:  # the rows stay 'sending': kept for the next flush
            log.warning("could not settle %d replies (%s); will try again", len(batch),
                        type(exc).__name__)
            self._pending.update(batch)

    def _gated(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.gate if self.gate is not None else contextlib.nullcontext()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.flush()
