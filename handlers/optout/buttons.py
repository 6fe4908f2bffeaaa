"""The buttons under every nudge: continue where I was, or stop the reminders."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("st")
@dataclass(frozen=True, slots=True)
class StopButton(ButtonData):
    """`ask`: confirm first; `yes`: opt out; `no`: keep the reminders."""

    action: str


@button("n")
@dataclass(frozen=True, slots=True)
class NudgeButton(ButtonData):
    """A nudge's Continue: `here` shows the partner where they are."""

    action: str


CONTINUE = NudgeButton("here")
# emitted when a partner presses a nudge's Continue: they went on instead of replying
CONTINUE_EVENT = "nudge_continue"
ASK_STOP = StopButton("ask")
