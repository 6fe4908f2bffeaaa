"""The bot's connections to PostgreSQL: a fixed pool, and partners notice nothing when the
server drops them (a restart, a failover).

The pool does not ping before every transaction; a connection found dead on use is replaced
and the partner's message is handled once more, from the start.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import CoachBot
from bot.storage.db import Database
from tests.fixtures.chat import Chat


async def _drop_every_connection(db: Database) -> int:
    """What a server restart does to the bot's pooled connections."""
    admin = create_async_engine(db.url)
    try:
        async with admin.connect() as conn:
            killed = await conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            return int(killed.scalar_one())
    finally:
        await admin.dispose()


async def test_a_partner_is_answered_after_the_server_drops_the_connections(
        database: Database, bot: CoachBot, chat: Chat) -> None:
    if not database.is_postgres:
        pytest.skip("only a database server can drop the bot's connections")
    await chat.send("/start")
    await chat.press("English")
    assert "What should I call you" in chat.text

    assert await _drop_every_connection(database) >= 1
    await chat.send("Sari")

    assert "wrong" not in chat.text  # not the "something went wrong" apology
    assert "🎓" in " ".join(chat.labels)  # the next onboarding question: background
    async with database.transaction() as session:
        name = await session.execute(text("SELECT name FROM partners WHERE external_id = 'sari'"))
        assert name.scalar_one() == "Sari"
        seen = await session.execute(text("SELECT count(*) FROM processed_updates"))
        assert seen.scalar_one() == 3  # each update recorded once, the retried one too


async def test_many_partners_at_once_share_the_pool_without_new_connections(
        database: Database, bot: CoachBot) -> None:
    """Fifty partners writing at the same moment wait for a pooled connection; none is
    opened and closed around one message (each would be a new server process)."""
    if not database.is_postgres:
        pytest.skip("SQLite has no connection pool to a server")
    opened: list[object] = []
    event.listen(database.engine.sync_engine, "connect", lambda conn, rec: opened.append(conn))
    chats = [Chat(bot, user=f"p{i}", language_hint="en") for i in range(50)]

    async def talk(chat: Chat) -> None:
        await chat.send("/start")
        await chat.send("/help")

    await asyncio.gather(*(talk(c) for c in chats))

    assert all("wrong" not in c.text for c in chats)
    pool_size = database.engine.pool.size()  # type: ignore[attr-defined]
    assert 1 <= len(opened) <= pool_size
