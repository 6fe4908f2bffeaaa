"""Where a partner can be during onboarding; stored by name, never by number."""

from __future__ import annotations

import enum


class OnboardingState(enum.StrEnum):
    NEW = "new"
    LANGUAGE = "onboard_language"
    NAME = "onboard_name"
    BACKGROUND = "onboard_background"
    TIMEZONE = "onboard_timezone"


# the profile questions, in the order they are asked (NEW: not started)
PROFILE_STATES = frozenset(OnboardingState)
