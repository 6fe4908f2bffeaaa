"""Two partners' turns that lock shared rows in opposite order: PostgreSQL aborts one.

The dashboard's counters are shared rows that every turn may update, so a deadlock is a
passing fault like a dropped connection: the aborted turn is run again, not answered with
"something went wrong".
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.faults import is_transient
from tests.scheduler.test_leader import postgres_only

pytestmark = pytest.mark.postgres


async def test_a_deadlock_between_two_turns_is_a_fault_worth_running_the_turn_again(
        database: Database) -> None:
    postgres_only(database)
    async with database.transaction() as s:
        await s.execute(text("create table shared_counts (id int primary key, n int)"))
        await s.execute(text("insert into shared_counts values (1, 0), (2, 0)"))
    both_hold_one = asyncio.Barrier(2)

    async def turn(first: int, second: int) -> None:
        async with database.transaction() as s:
            await s.execute(text("update shared_counts set n = n + 1 where id = :i"),
                            {"i": first})
            await both_hold_one.wait()
            await s.execute(text("update shared_counts set n = n + 1 where id = :i"),
                            {"i": second})

    try:
        results = await asyncio.gather(turn(1, 2), turn(2, 1), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 1, results  # PostgreSQL broke the cycle by aborting one turn
        assert is_transient(failures[0])

        async with database.transaction() as s:  # the survivor committed both its updates
            counts = dict((await s.execute(text("select id, n from shared_counts"))).all())
        assert counts == {1: 1, 2: 1}
    finally:  # the database is shared by the session's tests: leave the schema as it was
        async with database.transaction() as s:
            await s.execute(text("drop table shared_counts"))


async def test_a_message_that_breaks_a_constraint_is_not_retried(database: Database) -> None:
    postgres_only(database)
    async with database.transaction() as s:
        await s.execute(text("create table unique_names (name text primary key)"))
        await s.execute(text("insert into unique_names values ('budi')"))
    try:
        with pytest.raises(IntegrityError) as caught:
            async with database.transaction() as s:
                await s.execute(text("insert into unique_names values ('budi')"))
        assert not is_transient(caught.value)
    finally:
        async with database.transaction() as s:
            await s.execute(text("drop table unique_names"))
