"""What the webhook endpoint meets from the open internet, and the dedupe table's upkeep.

- `parse_update`: a body is a JSON object nested no deeper than any real update (a
  100,000-deep array would exhaust the parser's recursion);
- `RefusedRequests`: requests without the secret are counted and logged at most once a
  minute, so a scan cannot fill the log;
- `prune_processed_updates`: update ids are kept past Telegram's 24-hour retention only;
- `UpdateOrder`: deliveries of one chat that race are handled in update-id order.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from bot.core import Clock
from bot.storage.db import Database
from bot.storage.models import ProcessedUpdate

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # a real update nests about 8 levels
KEEP_UPDATES = timedelta(hours=48)  # Telegram redelivers an update for at most 24 hours
PRUNE_EVERY = 3600.0  # seconds


def json_depth_within(raw: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest at most `limit` deep (a scan, no recursion)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # most bodies: no deeper than they have
        return True
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def parse_update(raw: bytes) -> dict[str, Any]:
    """The update in a webhook body; ValueError for anything that is not one."""
    if not json_depth_within(raw, MAX_DEPTH):
        raise ValueError("nested too deep")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


class RefusedRequests:
    """Counts webhook requests without the right secret; one WARNING a minute at most."""

    def __init__(self, every: float = 60.0, now: Callable[[], float] = time.monotonic):
        self.every = every
        self._now = now
        self.total = 0
        self._unlogged = 0
        self._last: float | None = None

    def count(self, remote: str | None) -> None:
        self.total += 1
        self._unlogged += 1
        now = self._now()
        if self._last is None or now - self._last >= self.every:
            log.warning("webhook: %d request(s) without the right secret (latest from %s; "
                        "%d since start)", self._unlogged, remote, self.total)
            self._unlogged = 0
            self._last = now


async def prune_once(db: Database, clock: Clock) -> int:
    async with db.transaction() as s:
        result = await s.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.created_at < clock.now() - KEEP_UPDATES))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_processed_updates(db: Database, clock: Clock, stop: asyncio.Event) -> None:
    """Deletes update ids older than KEEP_UPDATES, now and every PRUNE_EVERY seconds."""
    while not stop.is_set():
        try:
            pruned = await prune_once(db, clock)
            if pruned:
                log.info("pruned %d processed update ids", pruned)
        except Exception as exc:  # the next round will do
            log.warning("pruning processed updates failed: %s", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PRUNE_EVERY):
                await stop.wait()


class _ChatQueue:
    def __init__(self) -> None:
        self.waiting: list[int] = []  # a heap of the update ids that arrived, not yet run
        self.busy = False


class UpdateOrder:
    """Webhook deliveries of one chat, handled in update-id order, not arrival order.

    Telegram may deliver updates over several connections at once (and redeliver after a
    5xx), so a chat's newer update can arrive first. An update waits behind the older updates
    of its chat that have arrived; and while an older update id (of any chat: ids are one
    sequence per bot) has not arrived, it waits up to `wait` seconds for it, as that one may
    be its chat's. With no gap below it, it runs at once.
    """

    def __init__(self, wait: float = 0.05):
        self.wait = wait
        self._floor: int | None = None  # every id up to here arrived (or was given up on)
        self._ahead: set[int] = set()  # ids above the floor that arrived
        self._chats: dict[str, _ChatQueue] = {}
        self._changed = asyncio.Condition()

    def _arrived(self, update_id: int) -> None:
        if self._floor is None:
            self._floor = update_id - 1  # nothing is known from before the first one
        if update_id > self._floor:
            self._ahead.add(update_id)
            self._advance()

    def _advance(self) -> None:
        assert self._floor is not None
        while self._floor + 1 in self._ahead:
            self._floor += 1
            self._ahead.discard(self._floor)

    def _gap_below(self, update_id: int) -> bool:
        return self._floor is not None and self._floor < update_id - 1

    def _give_up_below(self, update_id: int) -> None:
        """Ids missing below this one went elsewhere (another worker) or never come."""
        assert self._floor is not None
        if self._floor < update_id - 1:
            self._floor = update_id - 1
            self._ahead = {i for i in self._ahead if i > self._floor}
            self._advance()

    @contextlib.asynccontextmanager
    async def turn(self, key: str, update_id: int) -> AsyncIterator[None]:
        """Holds the chat `key` for this update once the older ones have had theirs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        chat = self._chats.setdefault(key, _ChatQueue())
        async with self._changed:
            heapq.heappush(chat.waiting, update_id)
            self._arrived(update_id)
            self._changed.notify_all()
            try:
                while True:
                    mine = not chat.busy and chat.waiting[0] == update_id
                    if mine and not self._gap_below(update_id):
                        break
                    left = deadline - loop.time()
                    if mine and left <= 0:
                        self._give_up_below(update_id)
                        break
                    with contextlib.suppress(TimeoutError):
                        # without a deadline of its own, an update waits for its chat's turn
                        async with asyncio.timeout(left if mine else None):
                            await self._changed.wait()
            except BaseException:
                chat.waiting.remove(update_id)
                heapq.heapify(chat.waiting)
                self._forget(key, chat)
                self._changed.notify_all()
                raise
            heapq.heappop(chat.waiting)
            chat.busy = True
        try:
            yield
        finally:
            async with self._changed:
                chat.busy = False
                self._forget(key, chat)
                self._changed.notify_all()

    def _forget(self, key: str, chat: _ChatQueue) -> None:
        if not chat.busy and not chat.waiting and self._chats.get(key) is chat:
            del self._chats[key]
