"""Learning's buttons (the menu's are used by every feature that offers a way back)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("m")
@dataclass(frozen=True, slots=True)
class MenuButton(ButtonData):
    """`home`: the menu; `open`: a module; `progress`: /progress."""

    action: str
    module: str | None = None


@button("s")
@dataclass(frozen=True, slots=True)
class StepButton(ButtonData):
    """Next / back / try again / continue on one step of a module."""

    module: str
    step: str
    action: str


@button("c")
@dataclass(frozen=True, slots=True)
class CheckButton(ButtonData):
    """An option chosen in an understanding check."""

    module: str
    step: str
    option: str


@button("q")
@dataclass(frozen=True, slots=True)
class QuizButton(ButtonData):
    """Starts (or retakes) a quiz: a module's, or `final`."""

    action: str
    quiz: str | None = None


@button("qa")
@dataclass(frozen=True, slots=True)
class AnswerButton(ButtonData):
    """An option chosen for one question of one quiz attempt."""

    attempt: int
    question: str
    option: str


@button("a")
@dataclass(frozen=True, slots=True)
class RatingButton(ButtonData):
    """A 1-5 self-assessment rating of one statement, before or after."""

    phase: str
    statement: str
    rating: str | None = None


HOME = MenuButton("home")
