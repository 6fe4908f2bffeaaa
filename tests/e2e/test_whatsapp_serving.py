"""`coachbot run` with both tokens serves Telegram and WhatsApp together: one app, one
listener, WhatsApp at /whatsapp beside Telegram's path; wrong WhatsApp credentials stop it
before anything starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.channels import CHANNELS, network_channels
from bot.channels.serving import serve_network
from bot.channels.whatsapp.runner import connect
from bot.config import Settings
from tests.e2e.conftest import telegram_settings
from tests.e2e.whatsapp import whatsapp_settings
from tests.fakes import FakeBotAPI
from tests.fakes.graph_api import FakeGraphAPI

pytestmark = pytest.mark.e2e


async def test_telegram_and_whatsapp_share_one_listener(settings: Settings, fake: FakeBotAPI,
                                                        tmp_path: Path) -> None:
    async with FakeGraphAPI() as graph:
        config = whatsapp_settings(
            telegram_settings(settings, fake, "aiogram", "webhook"), graph,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
        assert [c.name for c in network_channels(config)] == ["telegram", "whatsapp"]
        stop = asyncio.Event()
        task = asyncio.create_task(serve_network(config, network_channels(config), stop))
        try:
            ready = asyncio.create_task(fake.wait_until(
                lambda: bool(fake.calls_to("setWebhook")), within=90, what="the webhook"))
            await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # serving failed: show why
            await ready
            [hook] = fake.calls_to("setWebhook")
            port = urlsplit(str(hook.params["url"])).port
            graph.webhook = f"http://127.0.0.1:{port}/whatsapp"

            sari = graph.user("6281200000031", "Sari")
            assert any("Halo" in m.text or "Hi" in m.text for m in await sari.say("/start"))
            budi = fake.user("Budi", language_code="en")
            assert await budi.say("/start")
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def test_a_refused_token_is_one_clear_error(settings: Settings) -> None:
    async with FakeGraphAPI() as graph:
        config = whatsapp_settings(settings, graph, whatsapp_token="EAAG-revoked")
        with pytest.raises(ValueError, match=r"refused the number .* or the token"):
            await connect(config)


async def test_missing_settings_are_named(settings: Settings) -> None:
    config = settings.model_copy(update={"whatsapp_token": "EAAG-x"})
    assert CHANNELS["whatsapp"].configured(config)
    with pytest.raises(ValueError, match=r"COACHBOT_WHATSAPP_PHONE_NUMBER_ID.*APP_SECRET"):
        await connect(config)
