"""The number's throughput as WhatsApp counts it (any one-second window): the client keeps
under it, so sends are spread out instead of refused with 130429 and retried."""

from __future__ import annotations

import asyncio
import time

from bot.channels.whatsapp.graph import WindowLimiter


async def test_the_limiter_lets_the_nth_send_go_only_when_the_first_left_the_window() -> None:
    limiter = WindowLimiter(3, window=0.2, latency=1.0)
    left, answered = [], []
    for _ in range(7):
        slot = await limiter.acquire()
        left.append(time.monotonic())
        limiter.done(slot)
        answered.append(time.monotonic())
    # the fourth goes a window after the first was answered, not merely after it left
    assert all(b - a >= 0.2 for a, b in zip(answered, left[3:], strict=False))


async def test_a_send_still_unanswered_keeps_its_place_in_the_window() -> None:
    limiter = WindowLimiter(1, window=0.0, latency=10.0)
    first = await limiter.acquire()
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not second.done(), "the first send has not been answered yet"
    limiter.done(first)
    limiter.done(await second)


async def test_a_send_answered_late_holds_the_window_only_its_latency_past_leaving() -> None:
    limiter = WindowLimiter(1, window=0.1, latency=0.05)
    await limiter.acquire()  # never answered
    first_left = time.monotonic()
    limiter.done(await limiter.acquire())
    assert time.monotonic() - first_left >= 0.15
