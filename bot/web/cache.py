"""Figures served from memory while they are recomputed in the background.

Only the FAQ gaps use it: grouping the latest unanswered questions by similarity is Python
work (pairwise text comparison), not a count the database keeps (the counted pages read the
counters of migration 0017 on every request). A page answers from the last result (never
older than `max_age` plus one recount) and shows when it was computed; a stale entry is
recomputed once, in the background. `max_age` 0 computes on every request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import Clock

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    value: Any
    at: datetime


class FigureCache:
    def __init__(self, clock: Clock, max_age: float, max_entries: int = 500):
        self.clock = clock
        self.max_age = timedelta(seconds=max_age)
        self.max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}
        self._refreshing: dict[Hashable, asyncio.Task[None]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[Any]]
                  ) -> tuple[Any, datetime]:
        """The figures for `key` and when they were counted."""
        now = self.clock.now()
        entry = self._entries.get(key)
        if entry is None or not self.max_age:
            value = await compute()
            self._store(key, value, now)
            return value, now
        if now - entry.at > self.max_age and key not in self._refreshing:
            self._refreshing[key] = asyncio.create_task(self._refresh(key, compute))
        return entry.value, entry.at

    async def _refresh(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> None:
        try:
            self._store(key, await compute(), self.clock.now())
        except Exception:  # the page keeps its last figures; the next visit tries again
            log.exception("recounting dashboard figures %r failed", key)
        finally:
            self._refreshing.pop(key, None)

    def _store(self, key: Hashable, value: Any, at: datetime) -> None:
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = _Entry(value, at)

    async def settle(self) -> None:
        """Waits for the recounts under way (at shutdown, and in tests)."""
        await asyncio.gather(*self._refreshing.values())

    def clear(self) -> None:
        self._entries.clear()
