"""Indonesia's three zones, the one table of them, and times as partners and coaches type
and read them. Times are stored in UTC; each partner has an IANA zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Jakarta"
# what partners and coaches call them -> the IANA zone
ZONES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
LABELS = {v: k.upper() for k, v in ZONES.items()}

_DATE_TIME = re.compile(
    r"^\s*(?:(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<dmy>(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})(?:[/.-](?P<y2>\d{2,4}))?))"
    r"(?:\s+|T|\s*,\s*)(?:(?:jam|pukul|at)\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})\s*"
    r"(?P<zone>wib|wita|wit)?\s*$",
    re.IGNORECASE)


def find_zone(name: str) -> ZoneInfo | None:
    """An IANA zone from a name or an Indonesian alias (WIB/WITA/WIT); None if unknown."""
    key = ZONES.get(name.strip().lower(), name.strip())
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@cache
def zone(name: str | None) -> ZoneInfo:
    """The partner's zone; an unknown or empty name falls back to WIB rather than failing."""
    return find_zone(name or DEFAULT_TZ) or ZoneInfo(DEFAULT_TZ)


def label(tz: str) -> str:
    """`WIB` for Asia/Jakarta; other zones by their IANA name."""
    return LABELS.get(tz, tz)


def parse_local(text: str, tz: str, now: datetime) -> datetime | None:
    """Parses `2026-11-20 19:00`, `20/11/2026 19.00` or `20/11 19:00` (next such date) in
    the zone `tz` (or a WIB/WITA/WIT suffix) and returns it in UTC; None when unreadable."""
    m = _DATE_TIME.match(text or "")
    if not m:
        return None
    zi = zone(m.group("zone") or tz)
    local_now = now.astimezone(zi)
    if m.group("iso"):
        y, mo, d = int(m.group("y1")), int(m.group("m1")), int(m.group("d1"))
    else:
        d, mo = int(m.group("d2")), int(m.group("m2"))
        y = int(m.group("y2")) if m.group("y2") else local_now.year
        if y < 100:
            y += 2000
    try:
        local = datetime(y, mo, d, int(m.group("h")), int(m.group("mi")), tzinfo=zi)
    except ValueError:
        return None
    if not m.group("y1") and not m.group("y2") and local < local_now - timedelta(days=1):
        local = local.replace(year=local.year + 1)
    return local.astimezone(UTC)


def fmt_local(when: datetime, tz: str) -> str:
    """`20-11-2026 19:00 WIB` style, in the given zone."""
    zi = zone(tz)
    local = when.astimezone(zi)
    return f"{local:%d-%m-%Y %H:%M} {label(zi.key)}"


def local_time(moment: datetime, tz_name: str) -> str:
    """`2026-11-20 19:00 WITA` style, for coaches' tools."""
    local = moment.astimezone(zone(tz_name))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window in the partner's local time when nothing is sent (may wrap midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, spec: str | None) -> QuietHours | None:
        """'21:00-08:00' -> QuietHours; '', 'off' or 'none' -> None (no quiet hours)."""
        if not spec or spec.strip().lower() in ("off", "none", "0"):
            return None
        try:
            a, b = (part.strip() for part in spec.split("-", 1))
            return cls(time.fromisoformat(a), time.fromisoformat(b))
        except ValueError as exc:
            raise ValueError(f"quiet hours must look like 21:00-08:00, not {spec!r}") from exc

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """`moment` itself when allowed, else the end of the quiet window it falls in (UTC)."""
        local = moment.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return moment
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)
