"""One partner floods the bot in polling mode: everyone else is still answered promptly.

The fake Bot API enforces Telegram's limits (30 messages/s overall, 1/s per chat), so the
flooder's chat can only be answered slowly; the others must not wait for it.
"""

from __future__ import annotations

import asyncio
import statistics

import pytest

from bot.app import CoachBot
from bot.config import Settings
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import FakeUser

pytestmark = pytest.mark.e2e


async def test_a_flood_from_one_partner_leaves_the_others_answered_promptly(
        bot: CoachBot, settings: Settings) -> None:
    async with FakeBotAPI(global_rate=30.0, chat_rate=1.0) as fake, serving(
            bot, telegram_settings(settings, fake, "aiogram", "polling")):
        budi = fake.user("Budi", language_code="en")
        others = [fake.user(f"Teman{i}") for i in range(5)]
        latencies: list[float] = []

        async def flood() -> None:
            for i in range(200):  # 200 messages in about 4 seconds
                await budi.send(f"halo {i}")
                await asyncio.sleep(0.02)

        async def chat(user: FakeUser) -> None:
            loop = asyncio.get_running_loop()
            for _ in range(4):
                before = len(fake.chat_messages(user.id))
                sent = loop.time()
                await user.send("/help")
                await fake.wait_until(
                    lambda n=before: len(fake.chat_messages(user.id)) > n,  # type: ignore[misc]
                    30, "a reply to /help")
                latencies.append(loop.time() - sent)
                await asyncio.sleep(0.5)

        flooding = asyncio.create_task(flood())
        await asyncio.sleep(0.3)  # the flood is under way
        await asyncio.gather(*(chat(u) for u in others))
        await flooding

        p90 = statistics.quantiles(latencies, n=10)[-1]
        print(f"others' replies during the flood: n={len(latencies)} "
              f"p50={statistics.median(latencies):.2f}s p90={p90:.2f}s max={max(latencies):.2f}s")
        assert max(latencies) < 10, f"slowest reply to the others: {max(latencies):.1f}s"
        assert p90 < 3, f"p90 of the others' replies: {p90:.1f}s"

        # Budi is asked once to slow down, in his language, after his first 8 messages are
        # answered (at his chat's 1 message/s); the rest of his burst gets nothing
        def budi_said() -> list[str]:
            return [m.get("text", "") for m in fake.chat_messages(budi.id)]

        await fake.wait_until(lambda: any("slow down" in t for t in budi_said()), 40,
                              "Budi asked to slow down")
        await asyncio.sleep(2.0)
        said = budi_said()
        assert sum("slow down" in t for t in said) == 1
        assert len(said) < 30, f"{len(said)} replies to a flood of 200"
