"""Webhook deliveries of one partner that race are handled in update order (issue 16,
finding 5), with either driver: Telegram may POST a chat's updates over several connections
at once, and the newer one can arrive first."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp
import pytest

from bot.app import CoachBot
from bot.channels.telegram.hardening import UpdateOrder
from bot.channels.telegram.runner import SECRET_HEADER, TelegramRunner
from bot.channels.telegram.shared_order import SharedUpdateOrder
from bot.config import Settings
from bot.core import FixedClock, Inbound, Reply
from bot.storage.db import Database
from content.loader import PackLibrary
from tests.e2e.conftest import DRIVERS, serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import FakeUser

pytestmark = pytest.mark.e2e
_message_ids = itertools.count(1000)


def _update(update_id: int, user: FakeUser, text: str) -> dict[str, Any]:
    who = {"id": user.id, "is_bot": False, "first_name": "Sari", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": next(_message_ids), "date": int(time.time()), "from": who,
        "chat": {"id": user.id, "type": "private", "first_name": "Sari"}, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}}


async def _post(http: aiohttp.ClientSession, runner: TelegramRunner,
                update: dict[str, Any]) -> int:
    url = f"http://127.0.0.1:{runner.webhook_port}/tg/hook"
    async with http.post(url, json=update, headers={SECRET_HEADER: runner.secret}) as resp:
        return resp.status


@pytest.mark.parametrize("driver", DRIVERS)
async def test_racing_deliveries_of_one_chat_are_handled_in_update_order(
        bot: CoachBot, settings: Settings, driver: str) -> None:
    handled: list[int] = []

    async def recording(msg: Inbound) -> list[Reply]:
        assert msg.update_id is not None
        handled.append(int(msg.update_id.rsplit(":", 1)[1]))
        return await bot.handle(msg)

    # a generous bound for a loaded machine: the wait ends as soon as the older ids arrive
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        config = telegram_settings(settings, fake, driver, "webhook", webhook_order_wait=5.0)
        async with serving(bot, config, handle=recording) as runner, \
                aiohttp.ClientSession() as http:
            sari = fake.user("Sari", language_code="en")
            first = await sari.say("/help")  # delivered by the fake: the sequence so far
            assert first
            start = max(handled)
            # her next five updates, POSTed newest first, each a moment after the other
            racing = [start + i for i in range(5, 0, -1)]
            posts = []
            for update_id in racing:
                posts.append(asyncio.create_task(
                    _post(http, runner, _update(update_id, sari, "/progress"))))
                await asyncio.sleep(0.02)
            assert await asyncio.gather(*posts) == [200] * 5
        assert handled[-5:] == sorted(racing), handled


async def test_a_missing_older_update_holds_a_delivery_only_for_the_bound() -> None:
    order = UpdateOrder(wait=0.05)
    ran: list[int] = []

    async def deliver(update_id: int) -> None:
        async with order.turn("chat", update_id):
            ran.append(update_id)

    await deliver(1)
    # 2 never comes (another worker took it): 3 runs after the bound, 4 without waiting
    await asyncio.wait_for(deliver(3), 30)
    await asyncio.wait_for(deliver(4), 30)
    assert ran == [1, 3, 4]


async def test_arrivals_while_a_chat_is_busy_run_oldest_first() -> None:
    order = UpdateOrder(wait=0.0)
    ran: list[int] = []
    release, holding = asyncio.Event(), asyncio.Event()

    async def deliver(update_id: int, hold: bool = False) -> None:
        async with order.turn("chat", update_id):
            ran.append(update_id)
            if hold:
                holding.set()
                await release.wait()

    busy = asyncio.create_task(deliver(1, hold=True))
    await asyncio.wait_for(holding.wait(), 30)
    later = [asyncio.create_task(deliver(i)) for i in (5, 3, 4, 2)]
    for _ in range(10):  # every arrival has queued behind update 1
        await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(busy, *later), 30)
    assert ran == [1, 2, 3, 4, 5]


# --- several web workers behind a balancer (PostgreSQL: `coachbot run --role web` x N) -------

@pytest.mark.parametrize("driver", DRIVERS)
async def test_racing_deliveries_split_over_two_web_workers_run_in_update_order(
        database: Database, library: PackLibrary, settings: Settings, driver: str) -> None:
    if not database.is_postgres:
        pytest.skip("several web workers share PostgreSQL")
    handled: list[int] = []
    apps = [CoachBot(database, library, settings) for _ in range(2)]

    def recording(app: CoachBot) -> Any:
        async def handle(msg: Inbound) -> list[Reply]:
            assert msg.update_id is not None
            handled.append(int(msg.update_id.rsplit(":", 1)[1]))
            return await app.handle(msg)
        return handle

    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        # what `--role web` sets; a generous gap bound for a loaded machine
        config = telegram_settings(settings, fake, driver, "webhook",
                                   webhook_shared_order=True, webhook_order_wait=5.0,
                                   webhook_secret="same-for-every-worker")
        async with serving(apps[0], config, handle=recording(apps[0])) as one, \
                serving(apps[1], config, handle=recording(apps[1])) as two, \
                aiohttp.ClientSession() as http:
            sari = fake.user("Sari", language_code="en")
            start = 7000
            assert await _post(http, one, _update(start, sari, "/help")) == 200  # so far
            # her next five updates, newest first, each to the other worker a moment later
            racing = [start + i for i in range(5, 0, -1)]
            posts = []
            for n, update_id in enumerate(racing):
                posts.append(asyncio.create_task(_post(
                    http, (one, two)[n % 2], _update(update_id, sari, "/progress"))))
                await asyncio.sleep(0.02)
            assert await asyncio.gather(*posts) == [200] * 5
    assert handled == [start, *sorted(racing)], handled


async def test_a_worker_waits_while_another_holds_an_older_update_of_the_chat(
        database: Database, clock: FixedClock) -> None:
    if not database.is_postgres:
        pytest.skip("several web workers share PostgreSQL")
    a, b = (SharedUpdateOrder(database, clock, bot_id=1, wait=0.0) for _ in range(2))
    ran: list[str] = []
    holding, release = asyncio.Event(), asyncio.Event()

    async def on_a() -> None:
        async with a.turn("chat", 10):
            ran.append("a:10 starts")
            holding.set()
            await release.wait()
            ran.append("a:10 ends")

    async def on_b() -> None:
        async with b.turn("chat", 11):
            ran.append("b:11")

    first = asyncio.create_task(on_a())
    await asyncio.wait_for(holding.wait(), 30)
    second = asyncio.create_task(on_b())
    await asyncio.sleep(0.2)  # b looks several times meanwhile
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 30)
    assert ran == ["a:10 starts", "a:10 ends", "b:11"]
    async with b.turn("other chat", 12):  # another chat is never held up
        pass


async def test_a_missing_id_holds_a_shared_delivery_only_for_the_bound(
        database: Database, clock: FixedClock) -> None:
    if not database.is_postgres:
        pytest.skip("several web workers share PostgreSQL")
    order = SharedUpdateOrder(database, clock, bot_id=1, wait=0.05)
    ran: list[int] = []
    for update_id in (1, 3, 4):  # 2 never comes
        async with order.turn("chat", update_id):
            ran.append(update_id)
    assert ran == [1, 3, 4]
