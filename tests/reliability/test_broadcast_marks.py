"""A broadcast batch is marked sent as it goes out: a dispatcher killed mid-batch leaves only
the messages in flight to be sent again, not the whole claimed batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.core import FixedClock, Reply, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import Item, Outbox, payload_of


class Recorder:
    """A channel that takes 10 ms a send and, at the 30th, notes what a kill -9 would leave."""

    name = "telegram"

    def __init__(self, db: Database):
        self.db = db
        self.sent = 0
        self.marked_at_kill: int | None = None

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        if self.sent == 29:
            async with self.db.transaction() as s:
                self.marked_at_kill = (await s.execute(
                    select(func.count()).select_from(OutboxMessage)
                    .where(OutboxMessage.status == "sent"))).scalar_one()
        await asyncio.sleep(0.01)
        self.sent += 1
        return SendResult.ok(str(self.sent))


async def test_a_kill_mid_broadcast_would_resend_a_handful_not_the_batch(
        database: Database, clock: FixedClock) -> None:
    now = clock.now()
    async with database.transaction() as s:
        await Outbox(s).add_many([
            Item("telegram", f"{1000 + i}", "broadcast", payload_of(Reply("Halo semua!")),
                 now - timedelta(seconds=1), f"bc:test:{i}") for i in range(50)], now)
    channel = Recorder(database)

    await Dispatcher(database, {"telegram": channel}, clock, rate=30,
                     chat_interval=0).run_until_idle()

    assert channel.sent == 50 and channel.marked_at_kill is not None
    resent_after_kill = 29 - channel.marked_at_kill
    assert resent_after_kill <= 10, f"{resent_after_kill} of 29 sent rows were not marked yet"
    async with database.transaction() as s:
        statuses = (await s.execute(select(OutboxMessage.status))).scalars().all()
    assert set(statuses) == {"sent"}
