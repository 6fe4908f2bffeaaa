"""Typed button payloads, in the spirit of aiogram's CallbackData.

A button kind is a frozen dataclass with a short prefix and named fields:

    @button("s")
    @dataclass(frozen=True, slots=True)
    class StepButton(ButtonData):
        module: str
        step: str
        action: str

    StepButton("promo", "s3", "next").pack()   # 's1:promo:s3:next'
    parse("s1:promo:s3:next")                   # StepButton(module='promo', ...)

Packed as `<prefix><version>:<field>:…` within Telegram's 64 bytes; fields are `str` or
`int` (trailing fields with a default may be left out). `parse` returns None for anything
malformed, forged or from another version, so a handler only ever sees a well-formed value,
which it still checks against the partner's current state before acting.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, ClassVar, TypeVar

from bot.core.messages import Button

VERSION = "1"
MAX_BYTES = 64
_FIELD = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_INT = re.compile(r"^\d{1,9}$")
_HEAD = re.compile(r"^([a-z]{1,3})(\d)$")
_PREFIX = re.compile(r"^[a-z]{1,3}$")


class PayloadError(ValueError):
    """A payload that cannot be packed (a field out of the alphabet, over 64 bytes)."""


class ButtonData:
    """Base of every button kind; see the module docstring."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, type, bool], ...]]  # name, type, required

    def button(self, label: str) -> Button:
        """A button with this payload."""
        return Button(label, self.pack())

    def pack(self) -> str:
        parts: list[str] = []
        for name, _, _ in self._fields:
            value = getattr(self, name)
            parts.append("" if value is None else str(value))
        while parts and parts[-1] == "":
            parts.pop()
        for p in parts:
            if not _FIELD.fullmatch(p):
                raise PayloadError(f"bad payload field {p!r} in {type(self).__name__}")
        data = ":".join([f"{self.prefix}{VERSION}", *parts])
        if len(data.encode()) > MAX_BYTES:
            raise PayloadError(f"payload over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def _unpack(cls, raw: list[str]) -> ButtonData | None:
        if len(raw) > len(cls._fields):
            return None
        values: dict[str, Any] = {}
        for i, (name, kind, required) in enumerate(cls._fields):
            if i >= len(raw):
                if required:
                    return None
                continue
            text = raw[i]
            if kind is int:
                if not _INT.fullmatch(text):
                    return None
                values[name] = int(text)
            else:
                values[name] = text
        return cls(**values)


B = TypeVar("B", bound=type[ButtonData])
_KINDS: dict[str, type[ButtonData]] = {}


def _field_type(annotation: Any) -> type:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    base = args[0] if args else annotation
    if base not in (str, int):
        raise TypeError(f"button fields are str or int, not {annotation!r}")
    return typing.cast(type, base)


def button(prefix: str) -> typing.Callable[[B], B]:
    """Registers a button kind under `prefix` (one to three lowercase letters)."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a button prefix is 1-3 lowercase letters, not {prefix!r}")

    def register(cls: B) -> B:
        if prefix in _KINDS and _KINDS[prefix] is not cls:
            raise ValueError(f"button prefix {prefix!r} is taken by {_KINDS[prefix].__name__}")
        hints = typing.get_type_hints(cls)
        cls.prefix = prefix
        cls._fields = tuple(
            (f.name, _field_type(hints[f.name]),
             f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        _KINDS[prefix] = cls
        return cls

    return register


def parse(data: str | None) -> ButtonData | None:
    """The payload as its typed button, or None when it is not one of ours."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    head, *fields = data.split(":")
    m = _HEAD.fullmatch(head)
    if not m or m.group(2) != VERSION or not all(_FIELD.fullmatch(f) for f in fields):
        return None
    kind = _KINDS.get(m.group(1))
    return kind._unpack(fields) if kind is not None else None


def kinds() -> dict[str, type[ButtonData]]:
    """Every registered button kind by prefix (for tests and documentation)."""
    return dict(_KINDS)
