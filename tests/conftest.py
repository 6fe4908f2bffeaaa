"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary
from tests.fixtures.chat import Chat

TESTS = Path(__file__).parent
EXAMPLE_PACKS = TESTS / "fixtures" / "packs"
PG_URL = os.environ.get("COACHBOT_TEST_DATABASE_URL")

BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    if not PG_URL:
        yield None
        return
    import asyncio

    name = f"coachbot_test_{uuid.uuid4().hex[:10]}"

    async def exec_(sql: str) -> None:
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(sql))
        await admin.dispose()

    asyncio.run(exec_(f'CREATE DATABASE "{name}"'))
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    asyncio.run(exec_(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path,
                   pg_database: str | None) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'coachbot.sqlite3'}")
        await db.migrate()
        yield db
        await db.dispose()
        return
    assert pg_database is not None
    db = Database(pg_database)
    await db.migrate()
    yield db
    async with db.engine.begin() as conn:
        tables = (await conn.execute(text(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename <> 'alembic_version'"))).scalars().all()
        if tables:
            await conn.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture
def settings() -> Settings:
    # no real-time budget for a planning pass: a loaded machine must not change what a pass
    # plans (tests/missions/test_bounded_pass.py tells the budget's story with its own timer)
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",  # type: ignore[call-arg]
                    packs_dir=EXAMPLE_PACKS, default_pack="example", planner_pass_budget=0)


@pytest.fixture(scope="session")
def library() -> PackLibrary:
    return PackLibrary.load([EXAMPLE_PACKS / "example"])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def bot(database: Database, library: PackLibrary, settings: Settings,
        clock: FixedClock) -> CoachBot:
    return CoachBot(database, library, settings, clock=clock)


@pytest.fixture
def chat(bot: CoachBot) -> Chat:
    return Chat(bot, user="sari")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment the `coachbot` CLI sees: the example pack on a fresh SQLite file."""
    monkeypatch.setenv("COACHBOT_PACKS_DIR", str(EXAMPLE_PACKS))
    monkeypatch.setenv("COACHBOT_DEFAULT_PACK", "example")
    monkeypatch.setenv("COACHBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("COACHBOT_TELEGRAM_TOKEN", raising=False)
    return tmp_path
