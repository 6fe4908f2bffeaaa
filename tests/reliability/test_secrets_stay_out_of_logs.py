"""Log lines hold no bot token, no webhook secret and no partner's message, at any level."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot import redact
from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.repos import Repos
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"


def _captured(settings: Settings) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    redact.install(settings, [handler])
    logger = logging.getLogger("tests.redaction")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_a_token_in_a_request_url_and_in_a_traceback_is_hidden(settings: Settings) -> None:
    config = settings.model_copy(update={"telegram_token": TOKEN,
                                         "webhook_secret": "s3cret-hook_value"})
    logger, out = _captured(config)

    logger.debug("POST %s", f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    logger.debug("setWebhook secret_token=%s", "s3cret-hook_value")
    logger.debug("another bot: 987654321:ZZotherTokenThatLooksLikeOne_0123456789")
    try:
        raise RuntimeError(f"connect failed for /bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("request failed")

    logged = out.getvalue()
    assert TOKEN not in logged and "AAFakeToken" not in logged
    assert "s3cret-hook_value" not in logged and "ZZotherToken" not in logged
    assert logged.count(redact.HIDDEN) >= 4


async def test_a_failed_write_does_not_repeat_the_partners_message(database: Database) -> None:
    now = FixedClock().now()
    async with database.transaction() as s:
        await Repos(s).partners.arrive("telegram", "1", "private: my salary is 4 juta", now)
    with pytest.raises(IntegrityError) as failed:
        async with database.transaction() as s:
            await s.execute(
                text(
                    "INSERT INTO processed_updates (channel, update_id, created_at) "
                    "VALUES (:c, :u, :t)"),
                {"c": "telegram", "u": "private: my salary is 4 juta", "t": now})
    assert "salary" not in str(failed.value)


@pytest.mark.e2e
async def test_the_drivers_debug_logs_hold_neither_token_nor_secret(
        bot: CoachBot, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    for driver in ("aiogram", "ptb"):
        async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
            config = telegram_settings(settings, fake, driver, "webhook",
                                       webhook_secret="hook-Secret_0123456789")
            redact.install(config, [caplog.handler])
            caplog.set_level(logging.DEBUG)
            async with serving(bot, config):
                await fake.user("Sari").say("/start")
    logged = caplog.text
    assert "getme" in logged.lower(), "the drivers did log their requests"
    assert fake.token not in logged and "AAFakeToken" not in logged
    assert "hook-Secret_0123456789" not in logged
