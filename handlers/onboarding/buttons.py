"""Onboarding's buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("o")
@dataclass(frozen=True, slots=True)
class OnboardButton(ButtonData):
    """An answer to a profile question: `lang`, `name`, `bg` (background) or `tz`."""

    what: str
    value: str | None = None
