"""What the webhook endpoint meets from the open internet, and the dedupe table's upkeep.

- `parse_update`: a body is a JSON object nested no deeper than any real update (a
  100,000-deep array would exhaust the parser's recursion);
- `RefusedRequests`: requests without the secret are counted and logged at most once a
  minute, so a scan cannot fill the log;
- `prune_processed_updates`: update ids are kept past Telegram's 24-hour retention only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
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
