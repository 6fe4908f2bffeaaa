"""Dates and times as coaches type them, in their own time zone; stored in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZONE_ALIASES = {"wib": "Asia/Jakarta", "wita": "Asia/Makassar", "wit": "Asia/Jayapura"}
ZONE_LABELS = {v: k.upper() for k, v in ZONE_ALIASES.items()}

_DATE_TIME = re.compile(
    r"^\s*(?:(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<dmy>(?P<d2>\d{1,2})[/.-](?P<m2>\d{1,2})(?:[/.-](?P<y2>\d{2,4}))?))"
    r"(?:\s+|T|\s*,\s*)(?:(?:jam|pukul|at)\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})\s*"
    r"(?P<zone>wib|wita|wit)?\s*$",
    re.IGNORECASE)


def zone(name: str) -> ZoneInfo | None:
    """An IANA zone from a name or an Indonesian alias (WIB/WITA/WIT); None if unknown."""
    key = ZONE_ALIASES.get(name.strip().lower(), name.strip())
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_local(text: str, tz: str, now: datetime) -> datetime | None:
    """Parses `2026-11-20 19:00`, `20/11/2026 19.00` or `20/11 19:00` (next such date) in
    the zone `tz` (or a WIB/WITA/WIT suffix) and returns it in UTC; None when unreadable."""
    m = _DATE_TIME.match(text or "")
    if not m:
        return None
    zi = zone(m.group("zone") or tz) or ZoneInfo("Asia/Jakarta")
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
    """`Fri 20 Nov 2026, 19:00 WIB` style, in the given zone."""
    zi = zone(tz) or ZoneInfo("Asia/Jakarta")
    local = when.astimezone(zi)
    label = ZONE_LABELS.get(zi.key, zi.key)
    return f"{local:%d-%m-%Y %H:%M} {label}"
