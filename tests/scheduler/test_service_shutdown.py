"""The bot stops while the scheduler is mid-send: the send finishes and is recorded.

APScheduler's own shutdown cancels coroutine jobs in flight; a nudge already handed to the
platform would then stay 'sending' until its lease ran out and go out a second time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from bot.app import CoachBot
from bot.core import Reply, SendResult, reply_to_dict
from bot.storage.db import Database
from bot.storage.repos import Repos
from scheduler.outbox import Outbox
from scheduler.service import SchedulerService
from tests.scheduler.fakes import RecordingChannel


@dataclass
class SlowChannel(RecordingChannel):
    """Holds every send until the test lets it through."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.entered.set()
        await self.release.wait()
        return await super().send(chat_id, reply)


async def test_stopping_waits_for_a_nudge_being_sent(
        database: Database, bot: CoachBot, caplog: pytest.LogCaptureFixture) -> None:
    now = bot.clock.now()
    async with database.transaction() as session:
        await Repos(session).get(Outbox).add(
            channel="console", chat_id="sari", kind="nudge",
            payload=reply_to_dict(Reply("Yuk lanjut modul 2!")), due_at=now,
            dedupe_key="nudge:sari:1", now=now)
    channel = SlowChannel()
    service = SchedulerService.for_app(bot, {"console": channel}, plan=False)
    await service.start()
    await asyncio.wait_for(channel.entered.wait(), 30)  # the dispatcher is mid-send

    with caplog.at_level(logging.ERROR):
        stopping = asyncio.create_task(service.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # it waits for the send in flight
        channel.release.set()
        await asyncio.wait_for(stopping, 30)

    assert channel.texts("sari") == ["Yuk lanjut modul 2!"]
    async with database.transaction() as session:
        status = await session.execute(
            text("SELECT status FROM outbox WHERE dedupe_key = 'nudge:sari:1'"))
        assert status.scalar_one() == "sent"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_send_outlasting_the_dispatch_interval_fills_no_log(
        database: Database, bot: CoachBot, caplog: pytest.LogCaptureFixture) -> None:
    bot.settings.dispatch_interval = 0.05
    now = bot.clock.now()
    async with database.transaction() as session:
        await Repos(session).get(Outbox).add(
            channel="console", chat_id="sari", kind="broadcast",
            payload=reply_to_dict(Reply("Webinar besok jam 10")), due_at=now,
            dedupe_key="broadcast:sari:1", now=now)
    channel = SlowChannel()
    service = SchedulerService.for_app(bot, {"console": channel}, plan=False)
    with caplog.at_level(logging.WARNING):
        await service.start()
        await asyncio.wait_for(channel.entered.wait(), 30)
        await asyncio.sleep(0.5)  # ten dispatch times pass while the send is in flight
        channel.release.set()
        await asyncio.wait_for(service.stop(), 30)
    assert channel.texts("sari") == ["Webinar besok jam 10"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
