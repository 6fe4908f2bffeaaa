"""A week-long silence, the bot asks "what did you try this week?", and the partner's reply
is heard as the answer to that question, not as a question for the FAQ."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.repos import Repos
from handlers.checkins.models import CheckinAnswer
from handlers.faq.models import FaqQuestion
from handlers.registry import FEATURES
from handlers.reports.digest import build
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner
from scheduler.scope import Scope
from tests.fixtures.chat import Chat
from tests.scheduler.fakes import RecordingChannel

ANSWER = "I posted two videos on TikTok, but I'm still shy about going live"


async def checked_in_after_a_quiet_week(chat: Chat, clock: FixedClock, planner: Planner,
                                        dispatcher: Dispatcher,
                                        channel: RecordingChannel) -> None:
    await chat.onboard(name="Sari")
    clock.advance(days=7, hours=1)
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert channel.texts("sari") == ["How are you, Sari? What is one thing you tried this week?"]


async def answers(bot: CoachBot) -> list[tuple[str, str | None]]:
    async with bot.db.transaction() as s:
        rows = await s.execute(select(CheckinAnswer.question, CheckinAnswer.answer)
                               .order_by(CheckinAnswer.id))
        return [(q, a) for q, a in rows.all()]


async def faq_questions(bot: CoachBot) -> int:
    async with bot.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(FaqQuestion)))
                   .scalar_one())


async def test_the_reply_to_a_check_in_is_kept_as_her_answer_and_thanked(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await checked_in_after_a_quiet_week(chat, clock, planner, dispatcher, channel)
    clock.advance(hours=3)
    await chat.send(ANSWER)
    assert "Thanks for sharing, Sari" in chat.text
    assert "I'm not quite sure" not in chat.text and "don't know" not in chat.text
    assert await answers(bot) == [
        ("How are you, Sari? What is one thing you tried this week?", ANSWER)]
    assert await faq_questions(bot) == 0

    # answered once: her next message is a question for the FAQ again
    await chat.send("kapan komisi cair")
    assert "Commission is paid monthly." in chat.text
    assert len(await answers(bot)) == 1

    await chat.send("/mydata")
    assert "Your answers to check-in questions: 1" in chat.text
    assert "shy about going live" in chat.text

    await chat.send("/deletedata")
    await chat.press("Yes, delete")
    assert await answers(bot) == []


async def test_coaches_read_the_check_in_answers_in_their_digest(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await checked_in_after_a_quiet_week(chat, clock, planner, dispatcher, channel)
    await chat.send(ANSWER)
    async with bot.db.transaction() as s:
        scope = Scope(Repos(s), bot.library, bot.settings, clock.now(), FEATURES)
        digest = await build(scope, "en")
    assert "Check-in answers in the last 24 h: 1" in digest
    assert "Sari: “I posted two videos on TikTok" in digest


async def test_thanks_alone_keeps_the_question_open_for_her_real_answer(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await checked_in_after_a_quiet_week(chat, clock, planner, dispatcher, channel)
    await chat.send("makasih kak")
    assert "Thanks for sharing" not in chat.text
    await chat.send("belum sempat, minggu ini sibuk ujian")
    assert "Thanks for sharing" in chat.text
    assert [a for _, a in await answers(bot)] == ["belum sempat, minggu ini sibuk ujian"]


async def test_pressing_continue_instead_of_answering_leaves_her_words_to_the_faq(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await checked_in_after_a_quiet_week(chat, clock, planner, dispatcher, channel)
    [(_, nudge)] = channel.sent
    await chat.press_payload(nudge.flat_buttons[0].payload)  # Continue
    await chat.send("kapan komisi cair")
    assert "Commission is paid monthly." in chat.text
    assert await answers(bot) == [
        ("How are you, Sari? What is one thing you tried this week?", None)]


async def test_a_reply_days_after_the_check_in_is_a_new_conversation(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await checked_in_after_a_quiet_week(chat, clock, planner, dispatcher, channel)
    clock.advance(days=4)
    await chat.send("kapan komisi cair")
    assert "Commission is paid monthly." in chat.text
    assert await answers(bot) == []


async def test_a_reminder_that_asks_nothing_leaves_free_text_to_the_faq(
        chat: Chat, bot: CoachBot, clock: FixedClock, planner: Planner,
        dispatcher: Dispatcher, channel: RecordingChannel) -> None:
    await chat.onboard(name="Sari")
    await chat.press("Program basics")
    await chat.press("Next")
    clock.advance(hours=24)
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert channel.texts("sari") == ["Shall we continue Program basics, Sari?"]
    await chat.send("I joined for extra income")  # her answer to the module's question
    assert "Thanks for sharing" not in chat.text
    assert await answers(bot) == []
