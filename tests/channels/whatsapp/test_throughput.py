"""The number's throughput as WhatsApp counts it (any one-second window): the client keeps
under it, so a burst is spread out instead of refused with 130429 and retried."""

from __future__ import annotations

import asyncio
import time

from bot.channels.whatsapp.graph import GraphClient, WindowLimiter
from bot.core import SendStatus
from tests.fakes.graph_api import FakeGraphAPI

WA = [f"6281300000{i:03d}" for i in range(200)]


async def test_a_burst_beyond_the_numbers_throughput_is_spread_not_refused() -> None:
    async with FakeGraphAPI(rate=80) as fake:
        for wa in WA:
            fake.last_inbound[wa] = fake.now()
        client = GraphClient(fake.base_url, fake.token, fake.phone_number_id, rate=80)
        try:
            results = await asyncio.gather(*(
                client.send({"to": wa, "type": "text", "text": {"body": "halo"}})
                for wa in WA))
        finally:
            await client.close()
    assert [r.status for r in results] == [SendStatus.OK] * len(WA)
    assert fake.refused == []
    times = sorted(s.at for s in fake.sent)
    assert all(b - a >= 1.0 for a, b in zip(times, times[80:], strict=False))


async def test_the_limiter_lets_the_nth_send_go_only_when_the_first_left_the_window() -> None:
    limiter = WindowLimiter(3, window=0.2)
    left, answered = [], []
    for _ in range(7):
        slot = await limiter.acquire()
        left.append(time.monotonic())
        limiter.done(slot)
        answered.append(time.monotonic())
    # the fourth goes a window after the first was answered, not merely after it left
    assert all(b - a >= 0.2 for a, b in zip(answered, left[3:], strict=False))


async def test_a_send_still_unanswered_keeps_its_place_in_the_window() -> None:
    limiter = WindowLimiter(1, window=0.0)
    first = await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not second.done(), "the first send has not been answered yet"
    limiter.done(first)
    limiter.done(await second)
