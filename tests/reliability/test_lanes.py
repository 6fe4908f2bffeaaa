"""The pieces behind per-partner lanes: the flood gate, the polling offset, the lanes."""

from __future__ import annotations

import asyncio

from bot.channels.lanes import Flood, FloodGate, Lanes, Offsets


def test_a_burst_gets_one_warning_and_then_silence_until_the_partner_pauses() -> None:
    now = [0.0]
    gate = FloodGate(limit=8, window=10.0, now=lambda: now[0])

    verdicts = []
    for _ in range(20):
        verdicts.append(gate.admit("telegram:1"))
        now[0] += 0.1

    assert verdicts[:8] == [Flood.PASS] * 8
    assert verdicts[8] is Flood.WARN
    assert set(verdicts[9:]) == {Flood.DROP}
    assert gate.admit("telegram:2") is Flood.PASS, "another partner is not affected"
    now[0] += 11  # the partner paused
    assert gate.admit("telegram:1") is Flood.PASS


def test_the_offset_waits_for_the_oldest_unfinished_update_only() -> None:
    offsets = Offsets()
    assert offsets.fresh([5, 6, 7]) == [5, 6, 7]
    offsets.done(6)
    offsets.done(7)
    assert offsets.offset() == 5, "update 5 is still being processed"
    assert offsets.fresh([5, 6, 7, 8]) == [8], "Telegram resends 5-7: only 8 is new"
    offsets.done(5)
    offsets.done(8)
    assert offsets.offset() == 9


async def test_a_slow_lane_does_not_hold_up_another() -> None:
    finished: list[str] = []
    release = asyncio.Event()

    async def run(item: str) -> None:
        if item == "slow-1":
            await release.wait()
        finished.append(item)

    lanes: Lanes[str] = Lanes(run)
    for key, item in [("a", "slow-1"), ("a", "slow-2"), ("b", "quick-1"), ("b", "quick-2")]:
        lanes.submit(key, item)
    await asyncio.sleep(0.01)
    assert finished == ["quick-1", "quick-2"]
    release.set()
    assert await lanes.join(1.0)
    assert finished == ["quick-1", "quick-2", "slow-1", "slow-2"], "one lane keeps its order"
