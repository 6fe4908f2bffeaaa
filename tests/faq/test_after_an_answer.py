"""What a partner says right after the FAQ answered her is about that answer: "makasih"
means it helped, "maksudnya?" means part of it was unclear."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import CoachBot
from bot.core import FixedClock
from handlers.faq.models import FaqQuestion
from handlers.tickets.models import CoachTicket
from tests.fixtures.chat import Chat


async def logged(bot: CoachBot) -> list[FaqQuestion]:
    async with bot.db.transaction() as s:
        return list((await s.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars())


async def test_thanks_right_after_an_answer_counts_as_it_helped(chat: Chat,
                                                                bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("lupa kata sandi")
    assert "Pakai tombol Lupa Kata Sandi." in chat.text
    await chat.send("makasih kak 🙏")
    assert "Sama-sama" in chat.text
    [question] = await logged(bot)
    assert question.helped is True and question.text == "lupa kata sandi"


async def test_unclear_right_after_an_answer_offers_a_coach_on_that_question(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("lupa kata sandi")
    await chat.send("maksudnya gimana kak?")
    assert "Bagian mana yang belum jelas?" in chat.text
    await chat.press("Tanya coach")
    assert "tiket #1" in chat.text
    async with bot.db.transaction() as s:
        ticket = await s.get(CoachTicket, 1)
    assert ticket is not None and ticket.text == "lupa kata sandi"


async def test_long_after_the_answer_they_are_small_talk_again(
        chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("lupa kata sandi")
    clock.advance(hours=1)
    await chat.send("maksudnya gimana kak?")
    assert "Boleh diperjelas" in chat.text and not chat.labels
    await chat.send("makasih kak")
    [question] = await logged(bot)
    assert question.helped is None


async def test_after_i_dont_know_thanks_does_not_claim_the_faq_helped(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("resep rendang yang enak gimana")
    await chat.send("oke makasih")
    [question] = await logged(bot)
    assert question.band == "none" and question.helped is None


async def test_typing_no_under_an_answer_is_heard_as_it_did_not_help(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("lupa kata sandi")
    await chat.send("ga kak, masih bingung")
    assert "Maaf, jawabannya belum membantu" in chat.text
    [question] = await logged(bot)
    assert question.helped is False
    await chat.press("Tanya coach")
    assert "tiket #1" in chat.text


async def test_typing_yes_under_an_answer_is_heard_as_it_helped(chat: Chat,
                                                                bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("forgot my password")
    await chat.send("yes, very helpful")
    assert "glad that helped" in chat.text
    [question] = await logged(bot)
    assert question.helped is True


async def test_no_with_nothing_answered_before_is_not_feedback(chat: Chat,
                                                               bot: CoachBot) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("tidak")
    assert "belum membantu" not in chat.text
    await chat.send("lupa kata sandi")
    await chat.send("ga bisa login")  # a new question, not a "no"
    assert "belum membantu" not in chat.text
    assert [q.helped for q in await logged(bot)] == [None, None]
