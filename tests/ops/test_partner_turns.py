"""Several web workers on one PostgreSQL: any worker takes any update, yet one partner's
updates are handled one at a time, and a duplicate delivered to another worker once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from bot.app import FALLBACK_ERROR, CoachBot
from bot.config import Settings
from bot.core import FixedClock, Inbound
from bot.ops.http import migration_heads
from bot.storage.db import Database
from bot.storage.models import Partner, ProcessedUpdate
from content.loader import PackLibrary
from tests.scheduler.test_restarts import db_url

pytestmark = pytest.mark.postgres
PARTNERS = 40


@pytest.fixture
async def workers(database: Database, library: PackLibrary, settings: Settings,
                  clock: FixedClock) -> AsyncIterator[list[CoachBot]]:
    """Two workers as two processes would be: each its own engine and its own locks."""
    if not database.is_postgres:
        pytest.skip("several workers share the PostgreSQL deployment")
    dbs = [Database(db_url(database)) for _ in range(2)]
    yield [CoachBot(db, library, settings, clock=clock) for db in dbs]
    for db in dbs:
        await db.dispose()


def typed(user: str, body: str, update: str) -> Inbound:
    return Inbound.from_text("telegram", user, body, update_id=update)


async def test_a_new_partner_writing_twice_at_once_to_two_workers_is_served_twice_in_turn(
        workers: list[CoachBot], database: Database) -> None:
    first, second = workers
    # each new partner's /start and next message reach different workers at the same moment
    results = await asyncio.gather(*(
        w.handle(typed(f"p{i}", body, f"{i}-{n}"))
        for i in range(PARTNERS)
        for n, (w, body) in enumerate(((first, "/start"), (second, "halo")))))
    errors = [r for replies in results for r in replies
              if r.text in FALLBACK_ERROR.values()]
    assert errors == [], "no partner met a clash between workers"
    assert all(results), "both messages were answered"
    async with database.transaction() as s:
        partners = (await s.execute(select(func.count()).select_from(Partner))).scalar_one()
        handled = (await s.execute(select(func.count()).select_from(ProcessedUpdate)))
    assert partners == PARTNERS
    assert handled.scalar_one() == 2 * PARTNERS


async def test_a_duplicate_delivered_to_the_other_worker_is_handled_once(
        workers: list[CoachBot]) -> None:
    await workers[0].handle(typed("sari", "/start", "s-0"))
    both = await asyncio.gather(*(w.handle(typed("sari", "/help", "s-1")) for w in workers))
    assert sorted(bool(r) for r in both) == [False, True], "one worker answers, one is silent"


async def test_updates_that_alternate_between_workers_are_handled_in_arrival_order(
        workers: list[CoachBot], database: Database) -> None:
    for n in range(10):
        await workers[n % 2].handle(typed("budi", "/start" if n == 0 else "/help", f"b-{n}"))
    async with database.transaction() as s:
        order = (await s.execute(select(ProcessedUpdate.update_id)
                                 .order_by(ProcessedUpdate.id))).scalars().all()
    assert order == [f"b-{n}" for n in range(10)]


async def test_workers_starting_together_on_a_fresh_database_migrate_one_after_the_other(
        pg_database: str | None) -> None:
    if pg_database is None:
        pytest.skip("several workers share the PostgreSQL deployment")
    base, _, _ = pg_database.rpartition("/")
    fresh = f"{base}/coachbot_fresh_{uuid.uuid4().hex[:8]}"
    admin = Database(pg_database, isolation_level="AUTOCOMMIT")
    async with admin.engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{fresh.rpartition("/")[2]}"'))
    dbs = [Database(fresh) for _ in range(3)]
    try:
        await asyncio.gather(*(db.migrate() for db in dbs))  # three workers start at once
        async with dbs[0].transaction() as s:
            revision = (await s.execute(text("select version_num from alembic_version")))
            assert revision.scalar_one() in migration_heads()
    finally:
        for db in dbs:
            await db.dispose()
        async with admin.engine.connect() as conn:
            await conn.execute(text(
                f'DROP DATABASE IF EXISTS "{fresh.rpartition("/")[2]}" WITH (FORCE)'))
        await admin.dispose()
