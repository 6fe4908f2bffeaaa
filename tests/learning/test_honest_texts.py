"""The self-assessment's scale answers its question, and passing the final quiz asks for the
second self-assessment once, not twice."""

from __future__ import annotations

import pytest

from content.loader import PackLibrary, discover_packs
from tests.fixtures.chat import Chat

SELF_ASSESSMENT = {"en": "self-assessment", "id": "penilaian diri"}


@pytest.mark.parametrize(("lang", "button", "question", "scale"), [
    ("en", "English", "How much do you agree?", "1 = don't agree at all · 5 = fully agree"),
    ("id", "Bahasa Indonesia", "Seberapa setuju kamu?",
     "1 = sama sekali tidak setuju · 5 = sangat setuju"),
])
async def test_the_scale_uses_the_words_of_its_question(
        chat: Chat, lang: str, button: str, question: str, scale: str) -> None:
    await chat.send("/start")
    await chat.press(button)
    await chat.send("Sari")
    await chat.press("🎓")
    await chat.press("WIB")
    assert question in chat.text and scale in chat.text


async def test_passing_the_final_quiz_asks_for_the_self_assessment_once(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("I want extra income for my studies")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Menu")
    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    await chat.press("Menu")
    await chat.press("Final readiness quiz")
    await chat.press("Twin dates")
    await chat.press("The coach")
    assert "You're ready to start" in chat.text
    assert chat.text.count("self-assessment") == 1


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_shipped_pack_repeats_the_self_assessment_request(lang: str) -> None:
    library = PackLibrary.load(discover_packs())
    for pack in library.packs.values():
        after_passing = (library.text(pack, "final_passed", lang) + "\n"
                         + library.text(pack, "assessment_after_intro", lang))
        assert after_passing.lower().count(SELF_ASSESSMENT[lang]) == 1, (pack.id, lang)
