"""PostgreSQL goes away for a few seconds while partners write: nothing is lost.

Messages that meet the outage are retried; what still cannot be stored is left
unacknowledged (polling: the offset stays; webhook: a 503), so Telegram delivers it again
and it is processed once the database is back. Nobody is told "something went wrong".
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from bot.app import FALLBACK_ERROR, CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate
from content.loader import PackLibrary
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fakes.tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_messages_sent_during_a_database_outage_are_all_answered_after_it(
        database: Database, library: PackLibrary, settings: Settings, clock: FixedClock,
        mode: str) -> None:
    if not database.is_postgres:
        pytest.skip("an outage of the database server")
    url = urlsplit(database.url)
    async with TcpProxy(url.hostname or "127.0.0.1", url.port or 5432) as proxy:
        via_proxy = Database(urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:"
                                                            f"{proxy.port}")))
        bot = CoachBot(via_proxy, library, settings, clock=clock)
        async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, serving(
                bot, telegram_settings(settings, fake, "aiogram", mode)):
            partners = [fake.user(f"Mitra{i}", language_code="en") for i in range(5)]
            for p in partners:
                await p.say("/start")

            await proxy.down()
            sent = []
            for _ in range(6):  # six seconds of messages into a dead database
                for p in partners:
                    sent.append(await p.send("/help"))
                await asyncio.sleep(1.0)
            await proxy.up()

            for update_id in sent:
                await fake.wait_confirmed(update_id, within=30)
            async with database.transaction() as s:
                done = set((await s.execute(select(ProcessedUpdate.update_id))).scalars())
            bot_id = fake.bot_user["id"]
            assert {f"{bot_id}:{u}" for u in sent} <= done, "every message was processed"
            said = [m.get("text", "") for p in partners for m in fake.chat_messages(p.id)]
            assert not [t for t in said if t in FALLBACK_ERROR.values()]
            for p in partners:
                helps = [m for m in fake.chat_messages(p.id)
                         if "commands you can use" in m.get("text", "")]
                assert len(helps) == 6, f"partner {p.id} got {len(helps)} of 6 answers"
        await via_proxy.dispose()
