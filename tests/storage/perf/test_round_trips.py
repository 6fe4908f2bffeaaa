"""The database round trips one message costs: the budget the Telegram benchmark relies on.

A partner's everyday messages are one transaction each with a fixed, small number of
statements (see docs/bench/telegram.md): the update-id dedupe insert and one UPDATE …
RETURNING that loads the partner and stamps last_active_at (on PostgreSQL both in one
statement with the partner's turn lock: one round trip to the server), and for /progress
one query for everything it shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.storage.db import Database
from bot.storage.repos import Repos
from tests.fixtures.chat import Chat


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements the database runs, by their first word (BEGIN and COMMIT left out).

    On SQLite they are read from sqlite3's own trace, so statements run straight on the
    driver's connection count too."""
    seen: list[str] = []

    def note(statement: str) -> None:
        word = statement.split(None, 1)[0].upper().rstrip(";")
        if word not in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"):
            seen.append(word)

    if db.is_sqlite:
        def trace(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn._connection._conn.set_trace_callback(note)

        def untrace(dbapi_conn: Any, *_: Any) -> None:
            dbapi_conn._connection._conn.set_trace_callback(None)

        event.listen(db.engine.sync_engine.pool, "checkout", trace)
        event.listen(db.engine.sync_engine.pool, "checkin", untrace)
        try:
            yield seen
        finally:
            event.remove(db.engine.sync_engine.pool, "checkout", trace)
            event.remove(db.engine.sync_engine.pool, "checkin", untrace)
        return

    # PostgreSQL: SQLAlchemy's statements, and those run straight on asyncpg (whose logger
    # sees them once they ran; callers let the loop turn once before reading `seen`)
    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        note(statement)

    def logged(query: Any) -> None:
        note(query.query)

    def watch(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.driver_connection.add_query_logger(logged)

    def unwatch(dbapi_conn: Any, *_: Any) -> None:
        dbapi_conn.driver_connection.remove_query_logger(logged)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    event.listen(db.engine.sync_engine.pool, "checkout", watch)
    event.listen(db.engine.sync_engine.pool, "checkin", unwatch)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        event.remove(db.engine.sync_engine.pool, "checkout", watch)
        event.remove(db.engine.sync_engine.pool, "checkin", unwatch)


async def test_help_and_progress_cost_few_round_trips(chat: Chat, database: Database) -> None:
    await chat.onboard(name="Sari", ratings=4)

    # the partner's turn (which keeps several web workers from serving one partner at once),
    # dedupe, partner loaded and stamped: one statement on the server, two in-process
    arrival = ["WITH"] if database.is_postgres else ["INSERT", "UPDATE"]
    with statements(database) as seen:
        await chat.send("/help")
        await asyncio.sleep(0)
    assert seen == arrival

    with statements(database) as seen:
        await chat.send("/progress")
        await asyncio.sleep(0)
    # … one query for the whole overview, and one for the missions and spaced review
    assert seen == [*arrival, "SELECT", "SELECT"]
    assert "4.0" in chat.text  # the readiness from the before self-assessment is still shown


async def test_a_redelivered_update_costs_one_statement(chat: Chat, database: Database) -> None:
    await chat.onboard()
    replies = await chat.press_payload("m:home", update_id="same")
    assert replies
    with statements(database) as seen:
        assert await chat.press_payload("m:home", update_id="same") == []
        await asyncio.sleep(0)
    assert seen == (["WITH"] if database.is_postgres else ["INSERT"])


async def test_arrival_records_each_update_once_and_stamps_only_new_ones(
        database: Database) -> None:
    t0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    async def arrive(update_id: str | None, at: datetime) -> tuple[bool, Any]:
        async with database.transaction(interactive=True) as session:
            return await Repos(session).partners.arrive("telegram", "42", update_id, at)

    # someone new: their first update is recorded, and there is no partner yet
    assert await arrive("u1", t0) == (True, None)
    async with database.transaction() as session:
        await Repos(session).partners.create(channel="telegram", external_id="42",
                                             chat_id="42", pack_id="example", now=t0)
    # the same first update again (Telegram redelivered it): nothing to do
    assert await arrive("u1", t0 + timedelta(minutes=1)) == (False, None)

    first, partner = await arrive("u2", t0 + timedelta(minutes=2))
    assert first and partner is not None
    assert partner.last_active_at == t0 + timedelta(minutes=2)
    # a redelivery leaves the partner as it was
    assert await arrive("u2", t0 + timedelta(minutes=3)) == (False, None)
    async with database.transaction() as session:
        stored = await Repos(session).partners.get("telegram", "42")
    assert stored is not None and stored.last_active_at == t0 + timedelta(minutes=2)
    # a message without an update id (the console) is always new
    first, partner = await arrive(None, t0 + timedelta(minutes=4))
    assert first and partner is not None and partner.last_active_at == t0 + timedelta(minutes=4)
