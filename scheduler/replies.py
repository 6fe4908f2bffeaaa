"""Replies as reliable as nudges: the outbox applied to the answers of a message.

A reply is written as an outbox row in the same transaction as the state change it belongs
to, already claimed (`sending`) by the process that is about to send it inline. Once sent,
its row is marked `sent`, in small batches off the message's path. A process killed between
the commit and the send leaves the row `sending`; after the outbox lease the dispatcher
sends it like any other row. So a crash duplicates at most the replies in flight (sent, not
yet marked) and loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Clock, Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, OutboxStatus
from scheduler.outbox import payload_of

log = logging.getLogger(__name__)

REPLY = "reply"


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
    if rows:
        await session.execute(insert(OutboxMessage), rows)


class ReplyMarks:
    """Marks reply rows once the channel is done with them, a batch at a time.

    `settle(key, status)` is cheap and synchronous; a background task writes the batch.
    `gate` is held around each write (SQLite's single writer, shared with the core)."""

    def __init__(self, db: Database, clock: Clock, *, every: float = 0.2,
                 gate: asyncio.Lock | None = None):
        self.db = db
        self.clock = clock
        self.every = every
        self.gate = gate
        self._pending: dict[str, tuple[str, str | None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def settle(self, key: str, status: OutboxStatus, reason: str | None = None) -> None:
        self._pending[key] = (status.value, reason)
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
        batch, self._pending = self._pending, {}
        by_status: dict[tuple[str, str | None], list[str]] = {}
        for key, mark in batch.items():
            by_status.setdefault(mark, []).append(key)
        now = self.clock.now()
        try:
            async with self._gated():
                async with self.db.transaction() as s:
                    for (status, reason), keys in by_status.items():
                        values: dict[str, object] = {"status": status, "last_error": reason}
                        if status == OutboxStatus.SENT.value:
                            values["sent_at"] = now
                        await s.execute(
                            update(OutboxMessage)
                            .where(OutboxMessage.dedupe_key.in_(keys),
                                   OutboxMessage.status == OutboxStatus.SENDING.value)
                            .values(**values).execution_options(synchronize_session=False))
        except Exception as exc:  # the rows stay 'sending': kept for the next flush
            log.warning("could not mark %d replies (%s); will try again", len(batch),
                        type(exc).__name__)
            for key, mark in batch.items():
                self._pending.setdefault(key, mark)

    def _gated(self) -> contextlib.AbstractAsyncContextManager[object]:
        return self.gate if self.gate is not None else contextlib.nullcontext()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.flush()

