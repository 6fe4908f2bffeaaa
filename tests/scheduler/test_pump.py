"""The dispatcher's pump (the CLI's broadcast): the next batch is claimed and sent while the
current one is still in flight, with nothing lost, repeated or reordered."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from bot.app import CoachBot
from bot.core import FixedClock, Reply, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from scheduler.service import SchedulerService
from tests.scheduler.fakes import RecordingChannel
from tests.scheduler.test_dispatcher import enqueue, rows

GUARD = 60.0  # seconds: only against a hang, never a measure


@dataclass
class GatedChannel:
    """Sends wait at the gate until the test opens it; counts the sends under way."""

    name: str = "console"
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: list[str] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    wanted: int = 0
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.started.append(chat_id)
        if len(self.started) >= self.wanted:
            self.reached.set()
        await self.gate.wait()
        self.sent.append((chat_id, reply.text))
        return SendResult.ok(str(len(self.sent)))


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Waits (a guard against a hang, not a measure) until `check` holds."""
    for _ in range(int(GUARD / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def _sending(db: Database) -> int:
    async with db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == "sending"))).scalar_one())


async def test_the_next_batch_is_claimed_and_sent_while_the_current_one_is_in_flight(
        database: Database, clock: FixedClock) -> None:
    ch = GatedChannel(wanted=6)
    for i in range(9):
        await enqueue(database, clock, f"chat{i}", f"hello {i}")
    d = Dispatcher(database, {"console": ch}, clock, rate=None, chat_interval=0,
                   batch_size=3)
    stop = asyncio.Event()
    pump = asyncio.create_task(d.pump(stop, idle=0.01))
    # two batches under way at once: a tick would send one, then claim the next
    await asyncio.wait_for(ch.reached.wait(), GUARD)
    assert len(ch.started) == 6 and ch.sent == []
    async def all_claimed() -> bool:  # and the third batch claimed ahead of them
        return await _sending(database) == 9

    await eventually(all_claimed)
    ch.gate.set()

    async def all_sent() -> bool:
        return len(ch.sent) == 9

    await eventually(all_sent)
    stop.set()
    stats = await asyncio.wait_for(pump, GUARD)
    assert Counter(c for c, _ in ch.sent) == Counter(f"chat{i}" for i in range(9))
    assert stats.sent == 9
    assert {r.status for r in (await rows(database)).values()} == {"sent"}


async def test_a_paused_chat_keeps_its_order_while_other_batches_go_on(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    for i in range(3):
        await enqueue(database, clock, "ani", f"msg {i}", delay=i)
    for i in range(6):
        await enqueue(database, clock, f"p{i}", f"for p{i}")
    clock.advance(seconds=5)
    ch.answer("ani", SendResult.retry(30))
    d = Dispatcher(database, {"console": ch}, clock, rate=None, chat_interval=0,
                   batch_size=2)
    stop = asyncio.Event()
    pump = asyncio.create_task(d.pump(stop, idle=0.01))
    async def others_sent() -> bool:
        return len(ch.sent) >= 6

    await eventually(others_sent)
    assert ch.texts("ani") == []  # paused by the platform: its later rows wait behind
    clock.advance(seconds=30)

    async def ani_sent() -> bool:
        return len(ch.texts("ani")) >= 3

    await eventually(ani_sent)
    stop.set()
    await asyncio.wait_for(pump, GUARD)
    assert ch.texts("ani") == ["msg 0", "msg 1", "msg 2"]
    assert len(ch.sent) == 9
    got = await rows(database)
    assert {r.status for r in got.values()} == {"sent"}
    assert got["msg 0"].attempts == 1  # the pause was not counted as a failed attempt


async def test_rows_claimed_ahead_go_back_untouched_when_the_pump_stops(
        database: Database, clock: FixedClock) -> None:
    ch = GatedChannel(wanted=2)
    for i in range(6):
        await enqueue(database, clock, f"chat{i}", f"hello {i}")
    d = Dispatcher(database, {"console": ch}, clock, rate=None, chat_interval=0,
                   batch_size=2)
    stop = asyncio.Event()
    pump = asyncio.create_task(d.pump(stop, idle=0.01))
    await asyncio.wait_for(ch.reached.wait(), GUARD)
    stop.set()
    ch.gate.set()
    await asyncio.wait_for(pump, GUARD)
    got = await rows(database)
    sent = {t for t, r in got.items() if r.status == "sent"}
    assert len(sent) == len(ch.sent) >= 2
    rest = [r for t, r in got.items() if t not in sent]
    assert rest and all(r.status == "pending" and r.attempts == 0 for r in rest)
    await Dispatcher(database, {"console": ch}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    assert Counter(c for c, _ in ch.sent) == Counter(f"chat{i}" for i in range(6))


async def test_the_running_bot_sends_a_broadcast_backlog_without_pausing_between_batches(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    for i in range(10):
        await enqueue(database, clock, f"chat{i}", f"webinar {i}", kind="broadcast")
    service = SchedulerService.for_app(bot, {"console": ch}, plan=False)
    service.dispatcher = Dispatcher(database, {"console": ch}, clock, rate=None,
                                    chat_interval=0, batch_size=3)
    await asyncio.wait_for(service.dispatch_job(), GUARD)  # one run of the scheduler's job
    # a full batch means a backlog: the job went on until nothing was due
    assert Counter(c for c, _ in ch.sent) == Counter(f"chat{i}" for i in range(10))
    assert {r.status for r in (await rows(database)).values()} == {"sent"}


async def test_a_few_rows_are_one_tick_and_the_job_returns(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    for i in range(2):
        await enqueue(database, clock, f"chat{i}", f"reply {i}")
    await enqueue(database, clock, "later", "tomorrow", delay=3600)
    service = SchedulerService.for_app(bot, {"console": ch}, plan=False)
    service.dispatcher = Dispatcher(database, {"console": ch}, clock, rate=None,
                                    chat_interval=0, batch_size=3)
    await asyncio.wait_for(service.dispatch_job(), GUARD)
    assert sorted(c for c, _ in ch.sent) == ["chat0", "chat1"]
    assert (await rows(database))["tomorrow"].status == "pending"
