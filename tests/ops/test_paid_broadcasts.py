"""Telegram's paid broadcasts (COACHBOT_TELEGRAM_PAID_BROADCAST): broadcast rows go with
`allow_paid_broadcast` at their own rate, past the free ~30 messages/s, while nudges keep
COACHBOT_SEND_RATE; on both Telegram drivers, through the real dispatcher.

The fake Bot API's clock stands still, so its free bucket (30 at once, refilled at 30/s)
never refills: every send beyond 30 that it accepts was accepted as a paid broadcast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from bot.channels.telegram.runner import sender
from bot.config import Settings
from bot.core import Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import NUDGE, payload_of
from tests.fakes import FakeBotAPI

FREE = 30  # what the fake's global bucket allows without paying
BROADCASTS = 100
NUDGES = 10


@pytest.fixture(params=["aiogram", "ptb"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(global_rate=30.0, global_burst=FREE, chat_rate=None,
                          clock=lambda: 0.0) as api:
        yield api


async def queue(db: Database, fake: FakeBotAPI, kind: str, n: int) -> list[int]:
    chats = [fake.user(f"{kind}{i}").chat_id for i in range(n)]
    now = datetime.now(UTC)
    payload = payload_of(Reply("📣 Webinar malam ini 19:00 WIB"))
    async with db.transaction() as s:
        await s.execute(insert(OutboxMessage), [
            {"channel": "telegram", "chat_id": str(c), "kind": kind, "payload": payload,
             "due_at": now, "dedupe_key": f"{kind}:{c}", "status": "pending", "attempts": 0,
             "created_at": now} for c in chats])
    return chats


def settings_for(base: Settings, fake: FakeBotAPI, driver: str, **kw: object) -> Settings:
    return base.model_copy(update={
        "telegram_token": fake.token, "telegram_api_base": fake.base_url,
        "telegram_driver": driver, "send_chat_interval": 0.0, **kw})


async def one_tick(db: Database, settings: Settings) -> None:
    channel, close = await sender(settings)
    try:
        await Dispatcher.from_settings(db, {"telegram": channel}, settings).tick()
    finally:
        await close()


async def test_paid_broadcasts_pass_the_free_limit_and_nudges_keep_the_normal_rate(
        database: Database, fake: FakeBotAPI, driver: str, settings: Settings) -> None:
    # the normal rate lets one tick claim 2 rows (1/s over the lease's window of 2 s)
    paid = settings_for(settings, fake, driver, telegram_paid_broadcast=True, send_rate=1.0,
                        outbox_lease=6.0)
    broadcast = set(await queue(database, fake, "broadcast", BROADCASTS))
    nudged = set(await queue(database, fake, NUDGE, NUDGES))

    await one_tick(database, paid)

    sends = fake.calls_to("sendMessage")
    assert all(c.status == 200 for c in sends), [c.result for c in sends if c.status != 200]
    to_partners = [c for c in sends if c.params["chat_id"] in broadcast]
    assert {c.params["chat_id"] for c in to_partners} == broadcast
    assert all(c.params.get("allow_paid_broadcast") is True for c in to_partners)
    assert fake.paid_sends == BROADCASTS > FREE
    nudges = [c for c in sends if c.params["chat_id"] in nudged]
    assert len(nudges) == 2, "nudges wait for the normal rate, not the paid one"
    assert not any("allow_paid_broadcast" in c.params for c in nudges)


async def test_without_the_setting_broadcasts_are_free_sends_held_to_the_limit(
        database: Database, fake: FakeBotAPI, driver: str, settings: Settings) -> None:
    free = settings_for(settings, fake, driver, send_rate=1000.0)  # our pacing lets all go
    await queue(database, fake, "broadcast", 2 * FREE)

    await one_tick(database, free)

    sends = fake.calls_to("sendMessage")
    assert len(sends) == 2 * FREE
    assert sum(c.status == 200 for c in sends) == FREE
    assert sum(c.status == 429 for c in sends) == FREE
    assert not any("allow_paid_broadcast" in c.params for c in sends)
    assert fake.paid_sends == 0
