"""Reply rows (scheduler/replies.py): written with the turn, deleted once settled, in batches.

The batch delete runs on the loop's thread on SQLite (like the core's statements); it must
still delete exactly the settled rows, keep the others for the dispatcher, and wait for
another writer (a CLI command) instead of failing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import select

from bot.core import FixedClock, Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.replies import ReplyMarks, record_replies, reply_key


async def _record(db: Database, clock: FixedClock, update_id: str, n: int) -> None:
    async with db.transaction(interactive=True) as s:
        await record_replies(s, channel="telegram", chat_id="42", update_id=update_id,
                             replies=[Reply(f"answer {i}") for i in range(n)],
                             now=clock.now(), partner_id=None)


async def _left(db: Database) -> dict[str, str]:
    async with db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status))).all()
    return {k: st for k, st in rows}


async def test_settled_replies_are_deleted_and_the_rest_kept_sending(
        database: Database, clock: FixedClock) -> None:
    await _record(database, clock, "7:1", 2)
    await _record(database, clock, "7:2", 1)
    marks = ReplyMarks(database, clock)

    marks.settle(reply_key("telegram", "7:1", 0))
    marks.settle(reply_key("telegram", "7:1", 1))
    await marks.flush()

    assert await _left(database) == {reply_key("telegram", "7:2", 0): "sending"}, \
        "only the settled rows go; the unsent one waits for the dispatcher"
    await marks.close()


async def test_a_busy_sqlite_writer_delays_the_delete_without_losing_it(
        tmp_path: Path, clock: FixedClock) -> None:
    path = f"{tmp_path}/marks.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await _record(db, clock, "7:1", 1)
    marks = ReplyMarks(db, clock)
    marks.settle(reply_key("telegram", "7:1", 0))

    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process writing (a CLI command)
    other.execute("PRAGMA busy_timeout=0")
    try:
        # the delete finds the lock taken and waits in aiosqlite's thread (busy wait), where
        # it blocks no one; the other writer finishes meanwhile
        flushing = asyncio.create_task(marks.flush())
        await asyncio.sleep(0.05)
        other.commit()
        await flushing
    finally:
        other.close()

    assert await _left(db) == {}, "the settled row was deleted once the writer finished"
    await marks.close()
    await db.dispose()
