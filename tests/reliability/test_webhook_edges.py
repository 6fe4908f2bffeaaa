"""What the open internet sends to the webhook: never a 500, never a flooded log, and a new
bot whose update ids start again is not mistaken for the old one."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import CoachBot
from bot.channels.telegram.hardening import KEEP_UPDATES, prune_once
from bot.channels.telegram.runner import SECRET_HEADER, TelegramRunner
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.models import ProcessedUpdate
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import DEFAULT_TOKEN

pytestmark = pytest.mark.e2e


def _url(runner: TelegramRunner) -> str:
    return f"http://127.0.0.1:{runner.webhook_port}/tg/hook"


async def test_hostile_requests_get_4xx_and_a_counted_warning(
        bot: CoachBot, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, serving(
            bot, telegram_settings(settings, fake, "aiogram", "webhook",
                                   webhook_secret="right-secret")) as runner:
        nested = b"[" * 100_000 + b"]" * 100_000
        async with aiohttp.ClientSession() as http:
            deep = await http.post(_url(runner), data=nested,
                                   headers={SECRET_HEADER: "right-secret"})
            deep_object = await http.post(_url(runner), data=b'{"a":' * 50_000 + b"1" +
                                          b"}" * 50_000, headers={SECRET_HEADER: "right-secret"})
            odd_bytes = await http.post(_url(runner), data=b"{}", headers=[
                (SECRET_HEADER, "r\xe9ght-s\xff\u20accret".encode().decode("latin-1"))])
            caplog.set_level(logging.WARNING)
            statuses = []
            for _ in range(300):
                async with http.post(_url(runner), data=b"{}") as r:
                    statuses.append(r.status)

        assert deep.status == 400 and deep_object.status == 400
        assert odd_bytes.status == 401
        assert set(statuses) == {401}
        refusals = [r for r in caplog.records if "without the right secret" in r.getMessage()]
        assert len(refusals) <= 2, "a scan is one counted line a minute, not one per request"
        assert runner.refused.total == 301


async def test_a_new_bot_with_a_fresh_update_sequence_hears_start(
        bot: CoachBot, settings: Settings) -> None:
    for token in (DEFAULT_TOKEN, "987654321:AAnotherBotTokenForTests_abcdefghijk"):
        async with FakeBotAPI(token, global_rate=None, chat_rate=None) as fake, serving(
                bot, telegram_settings(settings, fake, "aiogram", "polling")):
            # both fakes number their updates from the same first id, as a new bot would
            hello = await fake.user("Sari", user_id=777).say("/start")
            assert hello, f"the bot {token.split(':')[0]} answered /start"


async def test_update_ids_are_forgotten_after_telegrams_retention(
        bot: CoachBot, settings: Settings, clock: FixedClock) -> None:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, serving(
            bot, telegram_settings(settings, fake, "aiogram", "polling")):
        await fake.user("Sari").say("/start")
    clock.advance(seconds=(KEEP_UPDATES - timedelta(hours=1)).total_seconds())
    assert await prune_once(bot.db, clock) == 0, "still inside the retention window"
    clock.advance(hours=2)
    assert await prune_once(bot.db, clock) == 1
    async with bot.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar() == 0
