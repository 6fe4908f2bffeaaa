"""The deployment's features fit together: one router with no route claimed twice, every
button kind handled, every state held by the feature that resumes it."""

from __future__ import annotations

from bot.app import build_router
from bot.config import Settings
from bot.core.payloads import kinds
from content.loader import PackLibrary
from handlers.learning.states import LearningState
from handlers.onboarding.states import OnboardingState
from handlers.registry import FEATURES
from tests.fixtures.context import context


def test_every_feature_has_a_name_and_registers_without_conflict() -> None:
    names = [f.name for f in FEATURES]
    assert all(names) and len(set(names)) == len(names)
    router = build_router(FEATURES)
    assert {"start", "menu", "help", "tanya", "coach", "broadcast", "cohort"} <= set(
        router.commands)
    assert router.fallback and router.unknown_command and router.stale_button


def test_every_button_kind_that_exists_is_handled() -> None:
    router = build_router(FEATURES)
    unhandled = [k.__name__ for k in kinds().values()
                 if k not in router.buttons and not k.__module__.startswith("tests.")]
    assert unhandled == []


async def test_each_conversation_state_is_resumed_by_its_feature(
        library: PackLibrary, settings: Settings) -> None:
    for state in [*OnboardingState, LearningState.ASSESS_BEFORE, LearningState.ASSESS_AFTER]:
        ctx = context(library, settings, state=state, position="program")
        held = [f.name for f in FEATURES if await f.resume(ctx) is not None]
        assert len(held) == 1, (state, held)
