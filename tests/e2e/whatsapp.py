"""The bot on WhatsApp for end-to-end tests: the real adapter and webhook, the fake Cloud API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.app import CoachBot
from bot.channels.whatsapp.runner import PATH, WhatsAppRunner, make_client
from bot.config import Settings
from tests.fakes.graph_api import APP_SECRET, VERIFY_TOKEN, FakeGraphAPI


def whatsapp_settings(base: Settings, fake: FakeGraphAPI, **extra: Any) -> Settings:
    update: dict[str, Any] = {
        "whatsapp_token": fake.token, "whatsapp_phone_number_id": fake.phone_number_id,
        "whatsapp_app_secret": APP_SECRET, "whatsapp_verify_token": VERIFY_TOKEN,
        "whatsapp_api_base": fake.base_url, "webhook_listen": "127.0.0.1:0",
    }
    update.update(extra)
    return base.model_copy(update=update)


@asynccontextmanager
async def serving_whatsapp(app: CoachBot, fake: FakeGraphAPI,
                           **extra: Any) -> AsyncIterator[WhatsAppRunner]:
    """Serves the bot's WhatsApp webhook until the block ends; the fake posts to it."""
    settings = whatsapp_settings(app.settings, fake, **extra)
    client = make_client(settings)
    runner = WhatsAppRunner(app, settings, client)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(stop))
    try:
        await asyncio.wait_for(runner.ready.wait(), 10)
        fake.webhook = f"http://127.0.0.1:{runner.port}{PATH}"
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await client.close()
