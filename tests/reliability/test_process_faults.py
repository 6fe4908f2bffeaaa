"""The flood and the database outage (issue 16, findings 1 and 2) with `coachbot run` as its
own OS process in polling mode, the fake Bot API and the database proxy in this test.

The latency figures of the flood are printed (`-s`) and asserted only with a generous bound
here: the issue's bounds (p90 < 3 s, max < 10 s) are measured by benchmarks/bench_reliability.py
and reported in docs/bench/reliability.md, as a loaded CI machine is no place for them.
"""

from __future__ import annotations

import asyncio
import statistics
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from bot.app import FALLBACK_ERROR
from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate
from tests.fakes import FakeBotAPI
from tests.fakes.tcp_proxy import TcpProxy
from tests.reliability.processes import BotProcess, bot_env, flood
from tests.scheduler.test_restarts import db_url

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


async def test_a_flood_from_one_partner_leaves_the_others_answered(
        database: Database, tmp_path: Path) -> None:
    async with FakeBotAPI(global_rate=30.0, chat_rate=1.0) as fake:
        bot = BotProcess(fake, bot_env(fake, db_url(database)), tmp_path)
        try:
            await bot.start()
            run = await flood(fake)
        finally:
            await bot.stop()
    lat = run.latencies
    p90 = statistics.quantiles(lat, n=10)[-1]
    print(f"\nflood, `coachbot run` on {'PostgreSQL' if database.is_postgres else 'SQLite'}: "
          f"others' replies n={len(lat)} p50={statistics.median(lat):.2f}s p90={p90:.2f}s "
          f"max={max(lat):.2f}s; the flooder got {len(run.flooder_said)} replies")
    assert len(lat) == 20, "every /help of the others was answered"
    # before issue 16 the others waited for the flooder's 400 replies at 1/s (minutes)
    assert max(lat) < 60, f"slowest reply to the others: {max(lat):.1f}s"
    assert sum("slow down" in t for t in run.flooder_said) == 1
    assert len(run.flooder_said) < 30, f"{len(run.flooder_said)} replies to a flood of 200"


async def test_messages_sent_while_the_database_refuses_connections_are_all_answered(
        database: Database, tmp_path: Path) -> None:
    if not database.is_postgres:
        pytest.skip("an outage of the database server")
    url = urlsplit(db_url(database))
    async with TcpProxy(url.hostname or "127.0.0.1", url.port or 5432) as proxy, \
            FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        via_proxy = urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}"))
        bot = BotProcess(fake, bot_env(fake, via_proxy), tmp_path)
        try:
            await bot.start()
            partners = [fake.user(f"Mitra{i}", language_code="en") for i in range(5)]
            for p in partners:
                await p.say("/start")

            await proxy.down()  # open connections cut, new ones refused
            sent = []
            for _ in range(6):  # six seconds of messages into a dead database
                for p in partners:
                    sent.append(await p.send("/help"))
                await asyncio.sleep(1.0)
            await proxy.up()

            for update_id in sent:
                await fake.wait_confirmed(update_id, within=120)
            for p in partners:
                await fake.wait_until(
                    lambda p=p: sum("commands you can use" in m.get("text", "")  # type: ignore[misc]
                                    for m in fake.chat_messages(p.id)) >= 6,
                    120, f"six answers for partner {p.id}")
        finally:
            await bot.stop()
        async with database.transaction() as s:
            done = set((await s.execute(select(ProcessedUpdate.update_id))).scalars())
        bot_id = fake.bot_user["id"]
        assert {f"{bot_id}:{u}" for u in sent} <= done, "every message was processed"
        said = [m.get("text", "") for p in partners for m in fake.chat_messages(p.id)]
        assert not [t for t in said if t in FALLBACK_ERROR.values()], "no 'went wrong'"
        for p in partners:
            helps = [m for m in fake.chat_messages(p.id)
                     if "commands you can use" in m.get("text", "")]
            assert len(helps) == 6, f"partner {p.id} got {len(helps)} of 6 answers"
