"""`docker stop` on a web worker: the update it is handling when SIGTERM arrives is finished
and answered, then the process exits cleanly."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from benchmarks.cluster import Cluster
from bot.storage.db import Database
from tests.conftest import EXAMPLE_PACKS
from tests.fakes import FakeBotAPI
from tests.scheduler.test_restarts import db_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_sigterm_lets_the_update_in_progress_finish_and_be_answered(
        database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("the web role is the PostgreSQL deployment")
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, Cluster(
            fake, db_url(database), web=1, packs_dir=EXAMPLE_PACKS, pack="example",
            COACHBOT_SCHEDULER_ENABLED="false",
            COACHBOT_TELEGRAM_INLINE_RETRY_MAX="10") as cluster:
        user = fake.user(user_id=777)
        await cluster.post(0, cluster.message(user.id, "/start", 1))
        # Telegram's flood control now holds this chat's next reply for about 4 seconds
        fake.set_limits(chat_rate=0.25, chat_burst=1)
        await cluster.post(0, cluster.message(user.id, "/help", 2))
        answered = len(fake.calls_to("sendMessage"))
        started = time.monotonic()
        in_flight = asyncio.create_task(cluster.post(0, cluster.message(user.id, "/help", 3)))
        while not fake.calls[-1].status == 429:  # the worker is waiting out flood control
            assert time.monotonic() - started < 30
            await asyncio.sleep(0.05)
        worker = cluster.web[0]
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(in_flight, 30)  # answered 200 after the reply went out
        assert await asyncio.to_thread(worker.wait, 30) == 0, "a clean exit"
    sends = fake.calls_to("sendMessage")
    assert [c.status for c in sends[answered:]] == [429, 200], \
        "the held reply was sent before the worker stopped"
