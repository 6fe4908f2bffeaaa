"""Button payloads: typed, versioned `kind1:field:field` strings within 64 bytes, parsed here."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
_FIELD = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_HEAD = re.compile(r"^([a-z]{1,3})(\d)$")


class PayloadError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Payload:
    kind: str
    fields: tuple[str, ...]

    def get(self, i: int) -> str | None:
        return self.fields[i] if i < len(self.fields) else None


def make(kind: str, *fields: object) -> str:
    parts = [str(f) for f in fields]
    for p in parts:
        if not _FIELD.match(p):
            raise PayloadError(f"bad payload field {p!r}")
    data = ":".join([f"{kind}{VERSION}", *parts])
    if len(data.encode()) > MAX_BYTES:
        raise PayloadError(f"payload over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None) -> Payload | None:
    """Returns the payload, or None for anything malformed, forged or from another version."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    head, *fields = data.split(":")
    m = _HEAD.match(head)
    if not m or m.group(2) != VERSION or not all(_FIELD.match(f) for f in fields):
        return None
    return Payload(m.group(1), tuple(fields))
