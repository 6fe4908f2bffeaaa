"""One partner's turn across web workers (PostgreSQL): the arrival statement takes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage.db import Database
from bot.storage.repos import PartnerRecord, Repos

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


async def arrive(db: Database, update_id: str | None,
                 at: datetime) -> tuple[bool, PartnerRecord | None]:
    async with db.transaction(interactive=True) as session:
        return await Repos(session).partners.arrive("telegram", "77", update_id, at)


@pytest.mark.parametrize("second_update", ["u2", None])
async def test_a_newcomers_second_message_waits_for_the_first_and_finds_her_created(
        database: Database, second_update: str | None) -> None:
    if not database.is_postgres:
        pytest.skip("SQLite has one process and one writer: no turn to wait for")
    # worker A takes Dewi's first message: she is new, and A creates her
    async with database.transaction(interactive=True) as session:
        repos = Repos(session)
        assert await repos.partners.arrive("telegram", "77", "u1", T0) == (True, None)
        await repos.partners.create(channel="telegram", external_id="77", chat_id="77",
                                    pack_id="example", now=T0, name="Dewi")
        # worker B gets her second message meanwhile: it waits for A's turn to end
        second = asyncio.create_task(arrive(database, second_update,
                                            T0 + timedelta(minutes=1)))
        await asyncio.sleep(0.5)
        assert not second.done()
    # … and then serves the partner A created, not someone new to create a second time
    first, dewi = await asyncio.wait_for(second, 10)
    assert first and dewi is not None and dewi.name == "Dewi"
    assert dewi.last_active_at == T0 + timedelta(minutes=1)


async def test_a_redelivery_that_raced_the_first_delivery_is_seen_after_the_turn(
        database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("SQLite has one process and one writer: no turn to wait for")
    async with database.transaction(interactive=True) as session:
        repos = Repos(session)
        await repos.partners.arrive("telegram", "77", "u1", T0)
        await repos.partners.create(channel="telegram", external_id="77", chat_id="77",
                                    pack_id="example", now=T0)
        again = asyncio.create_task(arrive(database, "u1", T0 + timedelta(seconds=5)))
        await asyncio.sleep(0.5)
        assert not again.done()
    assert await asyncio.wait_for(again, 10) == (False, None)
