"""Coach hours: when a human can be expected to answer. Pure functions of a given time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class CoachHours:
    start: time
    end: time
    days: frozenset[int]  # ISO weekdays, 1 = Monday
    tz: ZoneInfo

    @classmethod
    def parse(cls, hours: str, days: Iterable[int], tz: str) -> CoachHours:
        """Reads "09:00-17:00"; anything unreadable means round the clock."""
        try:
            a, b = (part.strip() for part in hours.split("-", 1))
            start, end = time.fromisoformat(a), time.fromisoformat(b)
        except ValueError:
            start, end = time(0, 0), time(23, 59, 59)
        valid = frozenset(d for d in days if 1 <= d <= 7) or frozenset(range(1, 8))
        return cls(start, end, valid, ZoneInfo(tz))

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        return local.isoweekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, at: datetime) -> datetime:
        """`at` itself during coach hours, else the start of the next coach shift."""
        if self.is_open(at):
            return at
        local = at.astimezone(self.tz)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            opening = datetime.combine(day, self.start, tzinfo=self.tz)
            if day.isoweekday() in self.days and opening > local:
                return opening.astimezone(at.tzinfo)
        return at


def reannounce_times(opened: datetime, every_minutes: float, times: int,
                     hours: CoachHours) -> list[datetime]:
    """When an unanswered ticket is announced again: every N minutes of coach time."""
    out: list[datetime] = []
    at = hours.next_open(opened)
    for _ in range(max(times, 0)):
        at = hours.next_open(at + timedelta(minutes=every_minutes))
        out.append(at)
    return out
