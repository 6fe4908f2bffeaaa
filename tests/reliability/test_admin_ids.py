"""An admin id without a channel names a messaging-app user, never whoever types at the
terminal: the console user who calls themselves 12345 is not made an admin."""

from __future__ import annotations

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock, Inbound
from bot.storage.db import Database
from bot.storage.repos import Repos
from content.loader import PackLibrary


async def _role(bot: CoachBot, channel: str, user: str) -> str:
    await bot.handle(Inbound.from_text(channel, user, "/start", chat_id=user,
                                       update_id=f"{channel}-{user}"))
    async with bot.db.transaction() as s:
        partner = await Repos(s).partners.get(channel, user)
    assert partner is not None
    return partner.role


async def test_a_bare_admin_id_makes_the_telegram_user_admin_but_not_the_console_one(
        database: Database, library: PackLibrary, settings: Settings,
        clock: FixedClock) -> None:
    config = settings.model_copy(update={"admin_ids": ["12345", "console:ops"]})
    bot = CoachBot(database, library, config, clock=clock)

    assert await _role(bot, "telegram", "12345") == "admin"
    assert await _role(bot, "console", "12345") != "admin"
    assert await _role(bot, "console", "ops") == "admin", "a named console id still counts"
