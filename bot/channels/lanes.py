"""Per-partner lanes and flood control: one partner's messages never hold up another's.

- `Lanes`: work queued per key (a chat), run in order within a key and concurrently across
  keys, one task per busy key.
- `Offsets`: which fetched updates are still unprocessed, so long polling confirms past every
  finished update without waiting for the slowest chat (the offset is the oldest update not
  yet processed; later ones already processed are skipped when Telegram sends them again).
- `FloodGate`: more than `limit` messages from one partner within `window` seconds gets one
  polite "slow down" and the rest of the burst is dropped unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from bot.core import Inbound, InboundKind, Reply

log = logging.getLogger(__name__)
T = TypeVar("T")


class Lanes(Generic[T]):
    """Items of one key run one after another, in the order given; keys run side by side."""

    def __init__(self, run: Callable[[T], Awaitable[None]]):
        self._run = run
        self._queues: dict[str, deque[T]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, key: str, item: T) -> None:
        self._queues.setdefault(key, deque()).append(item)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._drain(key))

    @property
    def busy(self) -> int:
        return len(self._tasks)

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                item = queue.popleft()
                try:
                    await self._run(item)
                except Exception:  # a bug in one item must not stop the lane
                    log.exception("lane %s: item failed", key)
        finally:
            self._tasks.pop(key, None)
            if not queue:
                self._queues.pop(key, None)

    async def join(self, within: float | None = None) -> bool:
        """Waits until every lane is empty (True) or `within` seconds pass (False)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while self._tasks:
                    await asyncio.gather(*self._tasks.values(), return_exceptions=True)
                return True
        return False

    async def cancel(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()


class Offsets:
    """The long-polling offset: confirms every update before the oldest unfinished one."""

    def __init__(self) -> None:
        self._pending: set[int] = set()
        self._top: int | None = None  # the highest update id seen
        self.last_progress = time.monotonic()  # when an update last finished
        # set when no fetched update is left unfinished (the poll loop also sets it to stop)
        self.drained = asyncio.Event()

    def fresh(self, ids: Iterable[int]) -> list[int]:
        """The ids not seen before, now pending; in-flight and finished ones are skipped."""
        new = sorted(i for i in set(ids) if self._top is None or i > self._top)
        if new:
            self._pending.update(new)
            self._top = new[-1]
        return new

    def done(self, update_id: int) -> None:
        if update_id in self._pending:  # (the confirm-lag timer of a sent one is no news)
            self._pending.discard(update_id)
            self.last_progress = time.monotonic()
            if not self._pending:
                self.drained.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def offset(self) -> int | None:
        if self._pending:
            return min(self._pending)
        return None if self._top is None else self._top + 1


class Flood(enum.Enum):
    PASS = "pass"
    WARN = "warn"  # the first message over the limit: answered with "slow down"
    DROP = "drop"  # the rest of the burst: no reply


class FloodGate:
    """A sliding window per partner; a monotonic timer, as rate limits count real seconds."""

    def __init__(self, limit: int = 8, window: float = 10.0,
                 now: Callable[[], float] = time.monotonic, max_keys: int = 50_000):
        self.limit = limit
        self.window = window
        self._now = now
        self._max_keys = max_keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._warned: dict[str, float] = {}

    def admit(self, key: str) -> Flood:
        if self.limit <= 0:
            return Flood.PASS
        now = self._now()
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque()
        self._seen.move_to_end(key)
        while times and times[0] <= now - self.window:
            times.popleft()
        times.append(now)
        if len(self._seen) > self._max_keys:
            old, _ = self._seen.popitem(last=False)
            self._warned.pop(old, None)
        if len(times) <= self.limit:
            return Flood.PASS
        # one warning per burst: a burst ends when the window has emptied below the limit
        warned = self._warned.get(key)
        if warned is not None and now - warned < self.window:
            self._warned[key] = now
            return Flood.DROP
        self._warned[key] = now
        return Flood.WARN


def flood_controlled(handle: Callable[[Inbound], Awaitable[list[Reply]]], gate: FloodGate,
                     notice: Callable[[Inbound, str], Awaitable[Reply]],
                     ) -> Callable[[Inbound], Awaitable[list[Reply]]]:
    """`handle` behind the flood gate: typed messages in a private chat count; button presses
    do not (each answers a message we sent, and a spent button is cleared), nor the coaches'
    chat, where the bot stays quiet through any discussion."""

    async def gated(msg: Inbound) -> list[Reply]:
        if msg.kind is InboundKind.BUTTON or msg.is_group:
            return await handle(msg)
        verdict = gate.admit(f"{msg.channel}:{msg.user_id}")
        if verdict is Flood.DROP:
            return []
        if verdict is Flood.WARN:
            log.info("flood from %s:%s: asked to slow down", msg.channel, msg.user_id)
            return [await notice(msg, "slow_down")]
        return await handle(msg)

    return gated
