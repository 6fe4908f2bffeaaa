"""How the bot names people to each other."""

from __future__ import annotations

from collections.abc import Callable


def coach_label(name: str | None, t: Callable[..., str]) -> str:
    """A coach as a partner reads it: `Coach Rina`, or a neutral word when the coach has no
    name (never "Coach Coach", never an internal id)."""
    name = " ".join((name or "").split())
    if not name:
        return t("coach_word")
    return name if name.lower().startswith("coach") else t("coach_titled", name=name)
