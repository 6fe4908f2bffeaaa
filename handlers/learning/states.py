"""Where a partner can be in learning; stored by name, never by number."""

from __future__ import annotations

import enum


class LearningState(enum.StrEnum):
    MENU = "menu"
    MODULE = "module"
    QUIZ = "quiz"
    ASSESS_BEFORE = "assess_before"
    ASSESS_AFTER = "assess_after"


ASSESSING = (LearningState.ASSESS_BEFORE, LearningState.ASSESS_AFTER)
