"""A partner asks questions in their own words and the bot answers, offers, or admits it
does not know; every question is logged with whether the answer helped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary
from handlers.faq.models import FaqQuestion
from tests.faq.conftest import make_bot
from tests.fixtures.chat import Chat


async def _questions(bot: CoachBot) -> list[FaqQuestion]:
    async with bot.db.transaction() as s:
        return list((await s.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars())


async def test_chat_indonesian_question_is_answered_and_the_feedback_is_logged(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("komisi kapan cair ya min")
    assert "Komisi cair tiap bulan" in chat.text
    assert "Apakah ini membantu?" in chat.text
    await chat.press("Ya, membantu")
    assert "senang bisa bantu" in chat.text
    assert "Materi belajarmu" in chat.text  # back where they were
    [logged] = await _questions(bot)
    assert (logged.text, logged.entry_id, logged.band, logged.helped) == (
        "komisi kapan cair ya min", "payout", "answer", True)
    assert 0 < logged.confidence <= 1


async def test_an_english_question_gets_the_answer_in_the_partners_language(
        chat: Chat) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("i forgot my pasword")
    assert "Pakai tombol Lupa Kata Sandi." in chat.text


async def test_a_question_it_cannot_answer_is_admitted_and_a_coach_offered(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("what's the weather in Makassar tomorrow?")
    assert "I don't know the answer" in chat.text
    assert "🙋 Ask a coach" in chat.labels
    [logged] = await _questions(bot)
    assert logged.band == "none"


async def test_middle_band_offers_the_likeliest_entries_as_buttons(
        database: Database, library: PackLibrary, settings: Settings,
        clock: FixedClock) -> None:
    bot = make_bot(database, library, settings, clock, faq_answer_threshold=0.999,
                   faq_offer_threshold=0.0001)
    chat = Chat(bot, user="sari")
    await chat.onboard()
    await chat.send("commission?")
    assert "Is it one of these?" in chat.text
    assert chat.labels[0] == "when is commission paid"
    await chat.press("when is commission paid")
    assert "Commission is paid monthly." in chat.text
    [logged] = await _questions(bot)
    assert logged.band == "offer" and logged.chosen_entry_id == "payout"


async def test_tanya_and_ask_send_the_question_to_the_faq(chat: Chat) -> None:
    await chat.onboard()
    await chat.send("/ask")
    assert "/ask when is commission paid?" in chat.text
    await chat.send("/tanya lupa kata sandi")
    assert "Use the Forgot Password button." in chat.text


async def test_free_text_during_onboarding_stays_with_onboarding(chat: Chat,
                                                                 bot: CoachBot) -> None:
    await chat.send("/start")
    await chat.press("English")
    await chat.send("Sari")
    await chat.send("when is commission paid")
    assert "pick one of the buttons" in chat.text
    assert await _questions(bot) == []


async def test_free_text_in_a_module_that_is_not_an_answer_goes_to_the_faq(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.send("lupa pw akun")
    assert "Use the Forgot Password button." in chat.text


async def test_thanks_gets_a_warm_reply_not_a_dont_know(chat: Chat) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("makasih kak 🙏")
    assert "Sama-sama" in chat.text


@pytest.mark.parametrize("text", [
    "?", "komisi", "🙂🙂🙂", "a" * 4000, "'; DROP TABLE partners; --",
    "<script>alert(1)</script> *bold* _x_ [link](http://x)", "สวัสดีครับ 你好 مرحبا",
    "lupa\x00pw\u200b akun",
])
async def test_bad_input_gets_an_honest_answer_never_an_exception(chat: Chat,
                                                                  text: str) -> None:
    await chat.onboard()
    await chat.send(text)
    assert chat.replies
    assert "Sorry, something went wrong" not in chat.text


async def test_someone_elses_feedback_button_is_refused(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("lupa kata sandi")
    yes = chat.button("Yes").payload
    other = Chat(bot, user="budi")
    await other.onboard()
    await other.press_payload(yes)
    assert "earlier message" in other.text
    [logged] = await _questions(bot)
    assert logged.helped is None


async def test_feedback_twice_is_noted_once(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("lupa kata sandi")
    yes = chat.button("Yes").payload
    await chat.press_payload(yes)
    await chat.press_payload(yes)
    assert "already noted" in chat.text


@pytest.mark.parametrize(("text", "reply"), [
    ("maksudnya gimana kak?", "Boleh diperjelas"),
    ("terus?", "Boleh diperjelas"),
    ("ok kak siap", "Siap 👍"),
    ("oh gitu ya", "Siap 👍"),
])
async def test_a_message_that_asks_nothing_gets_a_short_reply_not_an_entry(
        chat: Chat, bot: CoachBot, text: str, reply: str) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send(text)
    assert reply in chat.text
    assert "Apakah ini membantu?" not in chat.text and not chat.labels
    assert await _questions(bot) == []  # not a question: `faq gaps` stays clean
