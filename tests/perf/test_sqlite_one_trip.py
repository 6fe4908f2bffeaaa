"""SQLite statements make one trip to aiosqlite's thread: what SQLAlchemy reads back is right.

The engine connects through bot.storage.db's one-trip aiosqlite connection (execute, read all
rows and close in one call in the thread). These checks pin what callers rely on: rows,
RETURNING, rowcount, lastrowid, executemany, and that a failed transaction still rolls back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database, _OneHopConnection


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
