"""One send rate for the whole deployment (issue 16 point 6, issue 20): two dispatcher
processes on one PostgreSQL database together stay under the platform's limit.

Run with `-s` to see the figures (docs/bench/reliability.md).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import threading
import time
from collections import deque
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from bot.channels.telegram.aiogram import AiogramDriver
from bot.channels.telegram.common import TelegramChannel
from bot.core import Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import payload_of
from scheduler.rate import SharedRate
from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import ApiError

LIMIT = 30  # sends the fake accepts in any 1-second window
RATE = 29.0  # COACHBOT_SEND_RATE: just under the platform's limit, as a deployment sets it
MESSAGES = int(os.environ.get("COACHBOT_TEST_SHARED_RATE_MESSAGES", "300"))
# COACHBOT_TEST_PER_PROCESS_RATE=1 runs the same test with each process's own bucket: it fails
PER_PROCESS = os.environ.get("COACHBOT_TEST_PER_PROCESS_RATE") == "1"


class WindowBotAPI(FakeBotAPI):
    """The strict fake with a sliding window: at most `limit` sends accepted in any second."""

    def __init__(self, limit: int, **kw: object):
        super().__init__(global_rate=None, chat_rate=1.0, **kw)  # type: ignore[arg-type]
        self.limit = limit
        self.window: deque[float] = deque()

    def _throttle(self, chat_id: int) -> None:
        now = self.clock()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            seconds = max(1, math.ceil(self.window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        super()._throttle(chat_id)  # the per-chat limit
        self.window.append(now)


async def _skip_sqlite(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("several dispatcher processes share a rate through PostgreSQL only")


async def test_sqlite_keeps_the_in_process_bucket(database: Database) -> None:
    d = Dispatcher(database, {}, rate=30.0)
    if database.is_postgres:
        assert d.shared_rate is not None and d.limiter is None
    else:
        assert d.shared_rate is None and d.limiter is not None


async def test_two_processes_never_hold_the_same_slot(database: Database) -> None:
    await _skip_sqlite(database)
    other = Database(database.url)
    try:
        a, b = (SharedRate(db, 20.0, late=60.0) for db in (database, other))
        await asyncio.gather(*(r.reserve(5) for r in (a, b, a, b)))
        slots = sorted([*a._slots, *b._slots])
        assert len(slots) == 20
        gaps = [y - x for x, y in itertools.pairwise(slots)]
        # 1/20 s apart, give or take the round trip's uncertainty of each claim
        assert min(gaps) > 0.05 - 0.02, gaps
        assert slots[-1] - slots[0] == pytest.approx(19 * 0.05, abs=0.05)
    finally:
        await other.dispose()


async def test_two_dispatcher_processes_share_one_rate(database: Database) -> None:
    await _skip_sqlite(database)
    async with WindowBotAPI(LIMIT) as fake:
        chats = [fake.user(f"P{i}").chat_id for i in range(MESSAGES)]
        now = datetime.now(UTC)
        payload = payload_of(Reply("📣 Webinar malam ini 19:00 WIB"))
        async with database.transaction() as s:
            await s.execute(insert(OutboxMessage), [
                {"channel": "telegram", "chat_id": str(c), "kind": "broadcast",
                 "payload": payload, "due_at": now, "dedupe_key": f"bc:1:{c}",
                 "status": "pending", "attempts": 0, "created_at": now} for c in chats])
        done = threading.Event()

        def process(url: str) -> None:
            """A dispatcher process: its own thread, event loop, engine and HTTP client."""

            async def main() -> None:
                db = Database(url)
                driver = AiogramDriver(fake.token, fake.base_url)
                d = Dispatcher(db, {"telegram": TelegramChannel(driver)}, rate=RATE,
                               chat_interval=1.0, shared_rate=not PER_PROCESS)
                try:  # ticks until the outbox is empty, as the scheduler's interval job
                    while not done.is_set():
                        await d.run_until_idle()
                        await asyncio.sleep(0.05)
                finally:
                    await driver.close()
                    await db.dispose()

            asyncio.run(main())

        sent: set[int] = set()

        async def watch() -> None:
            while not all(c in sent for c in chats):
                sent.update(int(c.params["chat_id"]) for c in fake.calls
                            if c.method == "sendMessage" and c.status == 200)
                await asyncio.sleep(0.1)
            done.set()

        t0 = time.monotonic()
        try:
            await asyncio.wait_for(
                asyncio.gather(watch(), *(asyncio.to_thread(process, database.url)
                                          for _ in range(2))),
                timeout=MESSAGES / RATE * 3 + 30)
        finally:
            done.set()
        wall = time.monotonic() - t0

    report = fake.send_report()
    ok, refused, late, rate, per_chat = (report.ok, report.refused, report.late, report.rate,
                                         report.per_chat)
    start, end = report.start, report.end
    # the busiest second as the platform saw it
    times = sorted(c.at for c in ok)
    busiest = max(sum(1 for t in times[i:i + 2 * LIMIT] if t < s + 1.0)
                  for i, s in enumerate(times))
    print(f"\nshared rate {'off (per process)' if PER_PROCESS else 'on'}: {len(ok)} sent "
          f"in {end - start:.2f} s (wall {wall:.2f} s), steady {rate:.2f}/s = "
          f"{rate / LIMIT:.3f} of the limit {LIMIT}/s (configured {RATE}/s), 429s: "
          f"{len(refused)} ({len(late)} after the first second), busiest second {busiest}, "
          f"duplicates {sum(n - 1 for n in per_chat.values())}")
    assert sorted(per_chat) == sorted(chats) and max(per_chat.values()) == 1
    assert late == [], f"{len(late)} sends refused after the first second"
    assert rate >= 0.95 * LIMIT
