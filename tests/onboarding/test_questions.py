"""Onboarding asks one question at a time, in the partner's language, with the right
buttons — rendered from a Context alone (no database)."""

from __future__ import annotations

from bot.config import Settings
from bot.core.payloads import parse
from content.loader import PackLibrary
from handlers.onboarding import chat
from handlers.onboarding.buttons import OnboardButton
from handlers.onboarding.states import OnboardingState
from tests.fixtures.context import context


def test_the_time_zone_question_offers_indonesia_s_three_zones(
        library: PackLibrary, settings: Settings) -> None:
    ctx = context(library, settings, state=OnboardingState.TIMEZONE, onboarded_at=None)
    [reply] = chat.render(ctx)
    buttons = [parse(b.payload) for b in reply.flat_buttons]
    assert buttons == [OnboardButton("tz", z) for z in ("wib", "wita", "wit")]


def test_a_display_name_is_offered_as_a_one_tap_answer(library: PackLibrary,
                                                       settings: Settings) -> None:
    ctx = context(library, settings, state=OnboardingState.NAME, onboarded_at=None)
    ctx.inbound = ctx.inbound.__class__.from_text("console", "sari", "x",
                                                  display_name="Sari  Dewi")
    [reply] = chat.render(ctx)
    assert [parse(b.payload) for b in reply.flat_buttons] == [OnboardButton("name", "profile")]
    assert "Sari Dewi" in reply.flat_buttons[0].label


def test_names_are_cleaned_and_emoji_alone_is_not_a_name() -> None:
    assert chat.clean_name("  Sari \t Dewi ") == "Sari Dewi"
    assert chat.clean_name("*_[`") == "*_[`"
    assert chat.clean_name("🙂🙂") is None
    assert chat.clean_name("/start") is None
    assert chat.clean_name("x" * 61) is None


def test_the_language_question_is_in_both_languages_whatever_the_partner_speaks(
        library: PackLibrary, settings: Settings) -> None:
    ctx = context(library, settings, state=OnboardingState.LANGUAGE, onboarded_at=None,
                  language="id")
    [reply] = chat.render(ctx)
    assert [b.label for b in reply.flat_buttons] == ["Bahasa Indonesia", "English"]
