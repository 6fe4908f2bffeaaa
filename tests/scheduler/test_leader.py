"""One schedule per deployment: however many scheduler processes run, one plans the nudges and
runs the digest and reports; when it dies another takes over within a lease."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from bot.storage.db import Database
from bot.storage.models import Partner
from scheduler.leader import AdvisoryLeader, SoleLeader
from tests.scheduler.test_restarts import db_url, lines, status_counts, wait_for, worker

LEASE = 0.5  # COACHBOT_LEADER_INTERVAL in the process test


def postgres_only(database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("several scheduler processes are the PostgreSQL deployment")


async def holders(database: Database) -> list[str]:
    """application_name of the sessions holding the schedule lock (process id at the end).

    pg_locks covers every database of the server: only this database's count (other test
    runs on the same server have schedulers of their own)."""
    async with database.transaction() as s:
        return list((await s.execute(text(
            "select a.application_name from pg_locks l join pg_stat_activity a "
            "on a.pid = l.pid where l.locktype = 'advisory' and l.granted "
            "and l.database = (select oid from pg_database where datname = current_database()) "
            "and a.application_name like 'coachbot-scheduler%'"))).scalars())


async def test_on_sqlite_the_single_process_leads() -> None:
    leader = SoleLeader()
    assert await leader.check() and leader.held


@pytest.mark.postgres
async def test_one_leader_at_a_time_and_the_next_one_takes_over_on_release(
        database: Database) -> None:
    postgres_only(database)
    first, second = (AdvisoryLeader(db_url(database), name=n) for n in ("first", "second"))
    try:
        assert await first.check()
        assert not await second.check(), "the lead is taken"
        assert await first.check(), "the holder keeps it"
        await first.release()
        assert await second.check(), "released at shutdown: the next one leads at once"
        assert not first.held
    finally:
        await first.release()
        await second.release()


@pytest.mark.postgres
async def test_a_leader_whose_connection_is_cut_steps_down_and_another_leads(
        database: Database) -> None:
    postgres_only(database)
    first, second = (AdvisoryLeader(db_url(database), name=n)
                     for n in ("coachbot-scheduler a", "coachbot-scheduler b"))
    try:
        assert await first.check()
        async with database.transaction() as s:  # the server drops the holder's session
            await s.execute(text("select pg_terminate_backend(pid) from pg_stat_activity "
                                 "where application_name = 'coachbot-scheduler a'"))
        assert not await first.check(), "the old leader notices and stops scheduling"
        assert await second.check()
        assert await holders(database) == ["coachbot-scheduler b"]
    finally:
        await first.release()
        await second.release()


@pytest.mark.postgres
@pytest.mark.slow
async def test_two_scheduler_processes_kill_the_leader_the_other_takes_over_within_a_lease(
        database: Database, tmp_path: Path) -> None:
    postgres_only(database)
    n = 60
    now = datetime.now(UTC)
    async with database.transaction() as s:  # partners idle for two days: a nudge is due
        await s.execute(insert(Partner), [dict(
            channel="console", external_id=f"p{i}", chat_id=f"p{i}", name=f"P{i}",
            language="en", timezone="Asia/Jakarta", role="partner", pack_id="example",
            state="module", module_id="basics", step_id="why", onboarded_at=now,
            opted_out=False, blocked=False, created_at=now - timedelta(days=3),
            last_active_at=now - timedelta(days=2)) for i in range(n)])
    record = tmp_path / "sent.txt"
    env = {"COACHBOT_LEADER_INTERVAL": str(LEASE), "COACHBOT_SEND_RATE": "30",
           "COACHBOT_OUTBOX_LEASE": "3"}  # rows the killed one was sending are retried soon
    procs = [worker("service", record, db_url(database), **env) for _ in range(2)]
    try:
        async def one_leads() -> bool:
            return len(await holders(database)) == 1
        await wait_for(one_leads, procs)
        (name,) = await holders(database)
        leader = next(p for p in procs if name.endswith(f":{p.pid}"))
        other = next(p for p in procs if p is not leader)

        async def some_sent() -> bool:
            return len(lines(record)) >= 5
        await wait_for(some_sent, procs)
        leader.kill()  # SIGKILL: no goodbye, the server notices the closed connection
        leader.wait()
        killed_at = time.monotonic()

        async def the_other_leads() -> bool:
            return [h.rsplit(":", 1)[1] for h in await holders(database)] == [str(other.pid)]
        await wait_for(the_other_leads, [other])
        took = time.monotonic() - killed_at
        assert took < LEASE + 2.0, f"failover took {took:.1f}s"

        async def all_sent() -> bool:
            return (await status_counts(database))["sent"] == n
        await wait_for(all_sent, [other])
        await asyncio.sleep(3 * LEASE)  # the new leader's passes plan nothing twice
    finally:
        for p in procs:
            p.kill()
            p.wait()
    per_chat = Counter(line.split("\t")[0] for line in lines(record))
    assert set(per_chat) == {f"p{i}" for i in range(n)}, "every partner got their nudge"
    # a row in flight when its sender died may be sent again; planning itself never doubles
    assert (await status_counts(database))["sent"] == n
