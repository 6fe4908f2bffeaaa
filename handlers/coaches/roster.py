"""Partner roster import from a spreadsheet export (CSV with a header row).

Columns: channel,external_id,chat_id,name,language,timezone,cohort; on WhatsApp the
external_id is the partner's phone number (+62 812-3456-7890 or 0812…), and an optional
`consent` column (ya / yes) records that they agreed to be written to. Bad rows are reported by
line number and skipped; good rows are imported; a partner already known (same channel and
external id) is updated, never duplicated.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.timezones import find_zone
from bot.storage.consent import WhatsAppConsent
from bot.storage.repos import Repos
from handlers.onboarding.chat import clean_name

COLUMNS = ("channel", "external_id", "chat_id", "name", "language", "timezone", "cohort")
LANG_ALIASES = {"id": "id", "ind": "id", "indonesia": "id", "indonesian": "id",
                "bahasa indonesia": "id", "bahasa": "id", "en": "en", "eng": "en",
                "english": "en", "inggris": "en"}
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_ROWS = 100_000
CONSENT_YES = frozenset({"yes", "y", "ya", "iya", "setuju", "true", "1"})


@dataclass(frozen=True)
class RosterRow:
    line: int
    channel: str
    external_id: str
    chat_id: str
    name: str | None
    language: str | None
    timezone: str | None
    cohort: str | None
    # a WhatsApp partner agreed to be written to (the optional `consent` column)
    consent: bool = False


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cohorts_created: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"created={self.created} updated={self.updated} unchanged={self.unchanged} "
                f"errors={len(self.errors)}")


def phone_number(raw: str) -> str | None:
    """A phone number as WhatsApp names the account: digits with the country code, no `+`
    (a local Indonesian `08…` number gets 62). None when it is not a phone number."""
    digits = re.sub(r"[\s().-]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if digits.isdigit() and 8 <= len(digits) <= 15 else None


def _row(line: int, raw: dict[str, str], channels: Collection[str]) -> RosterRow | str:
    v = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    channel = v["channel"].lower()
    if channel not in channels:
        return f"channel '{v['channel'][:20]}' is not one of {', '.join(sorted(channels))}"
    ext = v["external_id"]
    if channel == "whatsapp":  # a phone number, written as people write them
        phone = phone_number(ext)
        if phone is None:
            return (f"'{ext[:30]}' is not a WhatsApp phone number "
                    "(e.g. +62 812-3456-7890 or 0812 3456 7890)")
        ext = v["chat_id"] = phone
    if not ext or len(ext) > 64 or any(c.isspace() for c in ext):
        return "external_id is missing or not a single word of up to 64 characters"
    chat_id = v["chat_id"] or ext
    if len(chat_id) > 64 or any(c.isspace() for c in chat_id):
        return "chat_id is not a single word of up to 64 characters"
    name = None
    if v["name"]:
        name = clean_name(v["name"])
        if name is None:
            return f"name '{v['name'][:30]}' is not usable (up to 60 characters)"
    lang = None
    if v["language"]:
        lang = LANG_ALIASES.get(v["language"].lower())
        if lang is None:
            return f"language '{v['language'][:20]}' is not id or en"
    tz = None
    if v["timezone"]:
        zi = find_zone(v["timezone"])
        if zi is None:
            return (f"timezone '{v['timezone'][:40]}' is unknown "
                    "(use WIB, WITA, WIT or an IANA name like Asia/Jakarta)")
        tz = zi.key
    cohort = v["cohort"] or None
    if cohort is not None and not _CODE.match(cohort):
        return f"cohort '{cohort[:40]}' is not a code (letters, digits, - and _, up to 32)"
    consent = (channel == "whatsapp"
               and (raw.get("consent") or "").strip().lower() in CONSENT_YES)
    return RosterRow(line, channel, ext, chat_id, name, lang, tz, cohort, consent)


def parse(text: str, channels: Collection[str]) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    """Reads the CSV text; returns the good rows and (line, problem) for the bad ones."""
    text = text.lstrip("\ufeff")  # spreadsheet exports often start with a BOM
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header: list[str] | None = None
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                return [], [(line, "the first line must be the header "
                             f"{','.join(COLUMNS)} (missing: {', '.join(missing)})")]
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append((line, f"more than {MAX_ROWS} rows; the rest was not read"))
            break
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            errors.append((line, f"{len(cells)} values for {len(header)} columns"))
            continue
        result = _row(line, dict(zip(header, cells, strict=False)), channels)
        if isinstance(result, str):
            errors.append((line, result))
            continue
        key = (result.channel, result.external_id)
        if key in seen:
            errors.append((line, f"same partner as line {seen[key]} "
                                 f"({result.channel}:{result.external_id})"))
            continue
        seen[key] = line
        rows.append(result)
    if header is None:
        errors.append((1, "the file is empty (a header line is required: "
                          f"{','.join(COLUMNS)})"))
    return rows, errors


async def import_rows(repos: Repos, rows: list[RosterRow], *, pack_id: str,
                      now: datetime) -> ImportResult:
    """Creates or updates partners (and unknown cohorts, with the code as name)."""
    result = ImportResult()
    cohort_ids: dict[str, int] = {}
    cohort_packs: dict[str, str] = {}
    for row in rows:
        if row.consent:
            await repos.get(WhatsAppConsent).from_roster(row.external_id, now)
        cohort_id: int | None = None
        if row.cohort:
            if row.cohort not in cohort_ids:
                cohort = await repos.cohorts.by_code(row.cohort)
                if cohort is None:
                    cohort = await repos.cohorts.create(row.cohort, pack_id, now, row.cohort)
                    result.cohorts_created.append(row.cohort)
                cohort_ids[row.cohort] = cohort.id
                cohort_packs[row.cohort] = cohort.pack_id
            cohort_id = cohort_ids[row.cohort]
        rec = await repos.partners.get(row.channel, row.external_id)
        if rec is None:
            await repos.partners.create(
                channel=row.channel, external_id=row.external_id, chat_id=row.chat_id,
                pack_id=cohort_packs.get(row.cohort or "", pack_id), now=now,
                language=row.language or "id",
                timezone=row.timezone or "Asia/Jakarta", name=row.name, cohort_id=cohort_id)
            result.created += 1
            continue
        rec.chat_id = row.chat_id
        if row.name:
            rec.name = row.name
        if row.language:
            rec.language = row.language
        if row.timezone:
            rec.timezone = row.timezone
        if cohort_id is not None:
            rec.cohort_id = cohort_id
        if rec.changes():
            await repos.partners.save(rec)
            result.updated += 1
        else:
            result.unchanged += 1
    return result


async def import_text(repos: Repos, text: str, *, pack_id: str, now: datetime,
                      channels: Collection[str]) -> ImportResult:
    rows, errors = parse(text, channels)
    result = await import_rows(repos, rows, pack_id=pack_id, now=now)
    result.errors = errors
    return result
