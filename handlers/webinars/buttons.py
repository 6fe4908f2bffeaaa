"""Webinars' buttons: the partners' RSVP, and the coaches' flow and management."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("wr")
@dataclass(frozen=True, slots=True)
class RsvpButton(ButtonData):
    """A partner's answer to an invitation: `y` attending, `n` cannot."""

    webinar: str | None = None
    answer: str | None = None


@button("cw")
@dataclass(frozen=True, slots=True)
class WebinarButton(ButtonData):
    """A step of /webinar (`seg`, `sv`, `skip`, `go`, `stop`) or an action on a webinar
    (`att`, `mv`, `x`, `xy`, `keep`) with its argument and value."""

    action: str
    arg: str | None = None
    value: str | None = None


def webinar_button(action: str, arg: str | None, value: str | None) -> WebinarButton:
    return WebinarButton(action, arg, value)
