"""The pieces behind per-partner lanes: the flood gate, the polling offset, the lanes."""

from __future__ import annotations

import asyncio

from bot.channels.lanes import Flood, FloodGate, Lanes, Offsets, flood_controlled
from bot.core import Inbound, Reply


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


async def test_the_coaches_discussion_in_their_group_is_never_told_to_slow_down() -> None:
    handled: list[str] = []

    async def core(msg: Inbound) -> list[Reply]:
        handled.append(msg.text)
        return []

    async def notice(msg: Inbound, key: str) -> Reply:
        return Reply(key)

    gate = flood_controlled(core, FloodGate(limit=8, window=10.0, now=lambda: 0.0), notice)
    for i in range(20):
        said = await gate(Inbound.from_text("telegram", "rudi", f"lunch? {i}",
                                            chat_id="-100777", is_group=True))
        assert said == []
    assert len(handled) == 20
    private = [await gate(Inbound.from_text("telegram", "budi", f"halo {i}", chat_id="budi"))
               for i in range(12)]
    assert [r.text for rs in private for r in rs] == ["slow_down"]
    assert len(handled) == 28, "8 of Budi's messages reached the core, the rest did not"
