"""Missions' buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("ms")
@dataclass(frozen=True, slots=True)
class MissionButton(ButtonData):
    """`open` a mission, `send` proof for it, `reflect` on what got in the way, `list` all."""

    action: str
    mission: str | None = None


@button("md")
@dataclass(frozen=True, slots=True)
class DraftButton(ButtonData):
    """Files a proof sent outside a mission under the mission the partner picks."""

    draft: int
    mission: str


@button("mr")
@dataclass(frozen=True, slots=True)
class ReviewButton(ButtonData):
    """A coach's verdict on one submission: `ok` approves, `fix` asks for a change."""

    action: str
    submission: int


@button("rv")
@dataclass(frozen=True, slots=True)
class ReviewAnswerButton(ButtonData):
    """An option chosen in a spaced review of a missed quiz question (item, its box)."""

    item: int
    box: int
    option: str


LIST = MissionButton("list")
