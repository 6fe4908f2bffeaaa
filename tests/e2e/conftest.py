"""The bot on Telegram, end to end: a real client library, real HTTP, the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.app import CoachBot
from bot.channels.telegram.common import Handle
from bot.channels.telegram.runner import TelegramRunner, make_driver
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.config import Settings
from bot.core import FixedClock
from tests.e2e.whatsapp import serving_whatsapp
from tests.fakes import FakeBotAPI
from tests.fakes.graph_api import FakeGraphAPI

DRIVERS = ["aiogram", "ptb"]
MODES = ["polling", "webhook"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    """The Bot API, flood control off: journeys answer with bursts of messages."""
    async with FakeBotAPI(global_rate=None, chat_rate=None) as api:
        yield api


@pytest.fixture(params=DRIVERS)
def driver_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def telegram_settings(base: Settings, fake: FakeBotAPI, driver: str, mode: str,
                      **extra: Any) -> Settings:
    update: dict[str, Any] = {
        "telegram_token": fake.token, "telegram_driver": driver,
        "telegram_api_base": fake.base_url, "telegram_poll_timeout": 1,
        "webhook_url": "http://127.0.0.1:{port}/tg/hook" if mode == "webhook" else None,
        "webhook_listen": "127.0.0.1:0",
    }
    update.update(extra)
    return base.model_copy(update=update)


@asynccontextmanager
async def serving(app: CoachBot, settings: Settings,
                  handle: Handle | None = None) -> AsyncIterator[TelegramRunner]:
    """Runs the bot on the fake until the block ends."""
    runner = TelegramRunner(app, settings, make_driver(settings), handle=handle)
    await runner.start()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(stop))
    try:
        ready = asyncio.create_task(runner.ready.wait())
        await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # serve() failed: show why
        assert runner.ready.is_set(), "the bot did not start serving"
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await runner.driver.close()


@pytest.fixture
async def telegram(bot: CoachBot, fake: FakeBotAPI, driver_name: str, mode: str,
                   settings: Settings) -> AsyncIterator[TelegramRunner]:
    """The coach bot serving on the fake Bot API with one driver, in one mode."""
    async with serving(bot, telegram_settings(settings, fake, driver_name, mode)) as runner:
        yield runner


@pytest.fixture
async def graph(clock: FixedClock) -> AsyncIterator[FakeGraphAPI]:
    """The fake WhatsApp Cloud API, on the test's clock (the 24-hour window follows it)."""
    async with FakeGraphAPI(now=clock.now) as api:
        yield api


@pytest.fixture
async def whatsapp(bot: CoachBot, graph: FakeGraphAPI) -> AsyncIterator[WhatsAppRunner]:
    """The coach bot serving WhatsApp on the fake Cloud API."""
    async with serving_whatsapp(bot, graph) as runner:
        yield runner
