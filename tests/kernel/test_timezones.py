"""Coaches type times in their own zone; they are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.timezones import fmt_local, parse_local

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


@pytest.mark.parametrize(("text", "tz", "utc"), [
    ("2026-11-25 19:00", "Asia/Jakarta", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
    ("25/11/2026 19.00", "Asia/Makassar", datetime(2026, 11, 25, 11, 0, tzinfo=UTC)),
    ("25-11-26 19:00", "Asia/Jayapura", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
    ("25/11 19:00", "Asia/Jakarta", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
    ("5/1 08:30", "Asia/Jakarta", datetime(2027, 1, 5, 1, 30, tzinfo=UTC)),  # next January
    ("25/11/2026 19:00 WITA", "Asia/Jakarta", datetime(2026, 11, 25, 11, 0, tzinfo=UTC)),
    ("25/11/2026 jam 19:00", "Asia/Jakarta", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
])
def test_times_are_read_in_the_coach_zone(text: str, tz: str, utc: datetime) -> None:
    assert parse_local(text, tz, NOW) == utc


@pytest.mark.parametrize("text", ["tomorrow", "", "31/02/2026 10:00", "25/11/2026 25:00",
                                  "19:00", "2026-11-25", "x" * 5000])
def test_unreadable_times_are_none(text: str) -> None:
    assert parse_local(text, "Asia/Jakarta", NOW) is None


def test_times_are_shown_in_the_readers_zone() -> None:
    when = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert fmt_local(when, "Asia/Jakarta") == "25-11-2026 19:00 WIB"
    assert fmt_local(when, "Asia/Jayapura") == "25-11-2026 21:00 WIT"
