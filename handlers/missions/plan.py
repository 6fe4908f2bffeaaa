"""When a mission unlocks, when it is due and where a partner stands with it: pure rules,
no I/O, `now` always an argument."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.core.timezones import zone
from content.missions import CalendarEvent, Mission

PAYDAY = 25


class Standing(enum.StrEnum):
    OPEN = "open"  # nothing sent yet
    SUBMITTED = "submitted"  # waiting for a coach
    CHANGES = "changes"  # a coach asked for a change: resubmit
    APPROVED = "approved"
    LATE = "late"  # past the deadline, nothing approved or waiting


class Review(enum.StrEnum):
    """A submission's status."""

    DRAFT = "draft"  # the partner still picks the mission it is for
    WAITING = "waiting"
    CHANGES = "changes"
    APPROVED = "approved"


def next_twin_date(day: date) -> date:
    """The first twin date (1.1, 2.2, … 12.12) on or after `day`."""
    for year in (day.year, day.year + 1):
        for month in range(1, 13):
            if date(year, month, month) >= day:
                return date(year, month, month)
    raise AssertionError("unreachable")


def next_payday(day: date) -> date:
    if day.day <= PAYDAY:
        return day.replace(day=PAYDAY)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=PAYDAY)


def deadline_day(mission: Mission, unlocked_at: datetime, tz_name: str) -> date:
    """The last local day to do the mission."""
    return deadline_from(mission, unlocked_at.astimezone(zone(tz_name)).date())


def deadline_from(mission: Mission, start: date) -> date:
    """The deadline day of a mission unlocked on the local day `start`."""
    due = mission.due
    if due.days is not None:
        return start + timedelta(days=due.days)
    # an event on the unlock day itself still leaves a day to prepare: the next one counts
    event = (next_twin_date if due.event is CalendarEvent.TWIN_DATE else next_payday)(
        start + timedelta(days=1))
    return event + timedelta(days=due.days_after)


def unlock_windows(mission: Mission, deadlines: tuple[date, date], *,
                   horizon: int = 100) -> list[tuple[datetime, datetime]]:
    """When (UTC, with a day's margin for any time zone) a mission must have been unlocked
    for its deadline day to fall within `deadlines` (first, last): what the planner's SQL
    pre-filter reads instead of every unlock of the last `horizon` days."""
    first, last = deadlines
    out: list[tuple[datetime, datetime]] = []
    for back in range(horizon, -2, -1):
        start = last - timedelta(days=back)
        if not first <= deadline_from(mission, start) <= last:
            continue
        lo = datetime.combine(start - timedelta(days=1), time(0), tzinfo=UTC)
        hi = datetime.combine(start + timedelta(days=2), time(0), tzinfo=UTC)
        if out and out[-1][1] >= lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def local(day: date, hour: int, tz_name: str) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone(tz_name)).astimezone(UTC)


def due_at(mission: Mission, unlocked_at: datetime, tz_name: str) -> datetime:
    """The end of the deadline day, in the partner's time zone."""
    return local(deadline_day(mission, unlocked_at, tz_name) + timedelta(days=1), 0, tz_name)


def standing(latest: str | None, due: datetime, now: datetime) -> Standing:
    """Where a partner stands, from their latest submission's status and the deadline."""
    if latest == Review.APPROVED:
        return Standing.APPROVED
    if latest == Review.WAITING:
        return Standing.SUBMITTED
    if now >= due:
        return Standing.LATE
    return Standing.CHANGES if latest == Review.CHANGES else Standing.OPEN


@dataclass(frozen=True)
class MissionView:
    """One unlocked mission of a partner."""

    mission: Mission
    unlocked_at: datetime
    due_at: datetime
    standing: Standing
    feedback: str | None = None
    submissions: int = 0


def unlocked(missions: list[Mission], finished: dict[str, datetime],
             onboarded_at: datetime | None) -> list[tuple[Mission, datetime]]:
    """The missions a partner has unlocked and when: by finishing their module (or, for a
    mission without one, by finishing onboarding)."""
    out = []
    for m in missions:
        at = finished.get(m.after) if m.after else onboarded_at
        if at is not None:
            out.append((m, at))
    return out


def parse_number(text: str) -> int | None:
    """A number as partners type it: `12`, `1.250`, `1,250`, `12 penjualan`."""
    head = text.strip().split(" ", 1)[0].replace(".", "").replace(",", "")
    if head.isdigit() and len(head) <= 9:
        return int(head)
    return None
