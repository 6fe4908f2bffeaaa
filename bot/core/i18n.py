"""Filling placeholders in coach-written texts without ever failing a message over one."""

from __future__ import annotations

from typing import Any, Protocol


class _Keep(dict[str, Any]):
    """Leaves an unknown placeholder as written instead of failing the whole text."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: Any) -> str:
    """`template` with `{name}` placeholders filled; unknown ones stay as written and a
    malformed template is returned as it is."""
    if not values:
        return template
    try:
        return template.format_map(_Keep(values))
    except (IndexError, ValueError, AttributeError):
        return template


class Translate(Protocol):
    """A UI text by key, in one language, with placeholders filled."""

    def __call__(self, key: str, /, **values: Any) -> str: ...
