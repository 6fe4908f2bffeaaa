"""SQLite statements make one trip to aiosqlite's thread, or none: what SQLAlchemy reads back
is right, and a partner's message runs on the loop's thread without ever stalling it.

The engine connects through bot.storage.db's one-trip aiosqlite connection (execute, read all
rows and close in one call in the thread). These checks pin what callers rely on: rows,
RETURNING, rowcount, lastrowid, executemany, and that a failed transaction still rolls back.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import BUSY_WAIT_MS, Database, _OneHopConnection
from content.loader import PackLibrary
from tests.fixtures.chat import Chat


async def test_one_trip_statements_keep_rows_counts_and_rollback(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    try:
        async with db.engine.begin() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, _OneHopConnection)
            await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))

        async with db.engine.begin() as conn:
            first = await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": "a"})
            assert first.lastrowid == 1
            await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"),
                               [{"b": "b"}, {"b": "c"}])
            changed = await conn.execute(text("UPDATE notes SET body = body || '!' WHERE id > 1"))
            assert changed.rowcount == 2
            returned = await conn.execute(
                text("UPDATE notes SET body = 'z' WHERE id = 1 RETURNING id, body"))
            assert returned.all() == [(1, "z")]
            rows = await conn.execute(text("SELECT id, body FROM notes ORDER BY id"))
            assert rows.all() == [(1, "z"), (2, "b!"), (3, "c!")]

        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await session.execute(text("DELETE FROM notes"))
                raise RuntimeError("a handler failed mid-transaction")

        async with db.transaction() as session:
            kept = await session.execute(text("SELECT count(*) FROM notes"))
            assert kept.scalar_one() == 3
    finally:
        await db.dispose()


def _thread_probe(db: Database, seen: list[int]) -> None:
    """Every pooled connection gets `probe()`, which records the thread SQLite runs it on."""

    def probe() -> int:
        seen.append(threading.get_ident())
        return 1

    @event.listens_for(db.engine.sync_engine, "connect")
    def _register(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.driver_connection._conn.create_function(  # type: ignore[attr-defined]
            "probe", 0, probe)


async def test_a_partners_message_runs_on_the_loop_thread_long_work_in_aiosqlites(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    seen: list[int] = []
    _thread_probe(db, seen)
    loop_thread = threading.get_ident()
    try:
        async with db.transaction(interactive=True) as session:
            await session.execute(text("SELECT probe()"))
            # on the loop's thread SQLite never sleeps waiting for a lock: it says "busy"
            wait = await session.execute(text("PRAGMA busy_timeout"))
            assert wait.scalar_one() == 0
        assert seen == [loop_thread]
        async with db.transaction() as session:
            await session.execute(text("SELECT probe()"))
            wait = await session.execute(text("PRAGMA busy_timeout"))
            assert wait.scalar_one() == BUSY_WAIT_MS
        assert len(seen) == 2 and seen[1] != loop_thread
        # the mark ends with the transaction: nothing after it runs inline by accident
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT probe()"))
        assert seen[2] != loop_thread
    finally:
        await db.dispose()


async def test_a_message_waits_for_another_writer_without_stalling_the_loop(
        tmp_path: Path, library: PackLibrary, settings: Settings) -> None:
    """A CLI command in another process holds SQLite's write lock while a partner writes:
    the partner's message waits for it (in aiosqlite's thread, not in the event loop, which
    keeps serving others) and is then handled in full."""
    path = tmp_path / "busy.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    bot = CoachBot(db, library, settings, clock=FixedClock())
    chat = Chat(bot, user="sari")
    await chat.send("/start")

    locked, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(path)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE partners SET name = 'Other writer' WHERE external_id = 'nobody'")
        locked.set()
        release.wait(30)  # until the loop has shown it kept running
        conn.commit()
        conn.close()

    holder = threading.Thread(target=other_writer)
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 30)
        reply = asyncio.ensure_future(chat.press("English"))
        ticks = 0
        while ticks < 5:  # a loop stuck in SQLite's busy wait would never get here
            await asyncio.sleep(0.01)
            ticks += 1
        assert not reply.done()  # still waiting for the lock, not failed
        release.set()
        await asyncio.wait_for(reply, 30)
    finally:
        release.set()
        holder.join()
    assert "What should I call you" in chat.text
    assert "wrong" not in chat.text
    async with db.transaction() as session:
        language = await session.execute(
            text("SELECT language FROM partners WHERE external_id = 'sari'"))
        assert language.scalar_one() == "en"
    await db.dispose()
