"""Quiz options come in a fresh order on every attempt, the feedback follows the option the
partner chose, and a failed quiz says which modules to review."""

from __future__ import annotations

from bot.app import CoachBot
from tests.fixtures.chat import Chat


async def to_the_basics_quiz(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.press("Skip")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Module quiz")


def first_option(text: str) -> str:
    return next(line[3:] for line in text.splitlines() if line.startswith("A. "))


async def test_the_options_order_changes_between_attempts(bot: CoachBot) -> None:
    firsts = set()
    for n in range(8):
        chat = Chat(bot, user=f"p{n}")
        await to_the_basics_quiz(chat)
        firsts.add(first_option(chat.text))
    assert firsts == {"Bookings", "Likes"}, "the right answer is not always A"


async def test_feedback_follows_the_option_and_a_failed_quiz_names_the_module(
        chat: Chat) -> None:
    await to_the_basics_quiz(chat)
    shown = chat.text
    assert chat.text == shown, "the same order on every render of one attempt"
    await chat.press("Likes")
    await chat.press("Nobody")
    assert "Your answer: Likes — No." in chat.text
    assert "The right answer: Bookings — Yes." in chat.text
    assert "Before trying again, review: *Program basics*." in chat.text
    await chat.press("Review Program basics")
    assert "Program basics" in chat.text and "step" in chat.text


async def test_a_failed_final_quiz_names_the_modules_of_the_missed_questions(
        chat: Chat) -> None:
    await to_the_basics_quiz(chat)
    await chat.press("Bookings")
    await chat.press("The coach")
    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    await chat.press("Menu")
    await chat.press("Final readiness quiz")
    await chat.press("Midnight")
    await chat.press("Nobody")
    assert "Before trying again, review: *Program basics*, *Promotion*." in chat.text
    assert {"📘 Review Program basics", "📘 Review Promotion"} <= set(chat.labels)
