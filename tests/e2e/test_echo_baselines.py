"""The echo bots the Telegram benchmark compares the coach bot with really serve partners.

Each is written the library's own way, in polling and in webhook mode; if one stopped
answering, or quietly fell back to polling, the benchmark's baseline would be wrong.
"""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.echo_bots import ECHO_BOTS
from tests.e2e.conftest import DRIVERS, MODES
from tests.fakes import FakeBotAPI

pytestmark = [pytest.mark.e2e]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("driver", DRIVERS)
async def test_the_echo_bot_answers_each_partner_in_its_mode(fake: FakeBotAPI, driver: str,
                                                             mode: str) -> None:
    run = ECHO_BOTS[driver]
    stop = asyncio.Event()
    task = asyncio.create_task(run(fake.token, fake.base_url, stop, webhook=mode == "webhook"))
    try:
        sari, budi = fake.user("Sari"), fake.user("Budi")
        await sari.send("halo kak")
        await budi.send("cara daftar gmn?")
        assert [m["text"] for m in await sari.wait_messages(1, within=30)] == ["halo kak"]
        assert [m["text"] for m in await budi.wait_messages(1, within=30)] == [
            "cara daftar gmn?"]
        if mode == "webhook":
            assert fake.calls_to("setWebhook") and not fake.calls_to("getUpdates")
            assert fake.webhook_responses, "updates reached the bot by webhook"
        else:
            assert fake.calls_to("getUpdates") and not fake.calls_to("setWebhook")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
