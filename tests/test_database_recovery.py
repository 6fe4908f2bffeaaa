"""The database server drops its connections (a restart, a failover): partners notice nothing.

On PostgreSQL the pool does not ping before every transaction; a connection found dead on use
is replaced and the partner's message is handled once more, from the start.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
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
