"""Deadlines and spaced review through the nudge rules: a reminder on the eve of the
deadline and a kind check-in the morning after it, at the partner's local times; an answer
to the check-in kept as a reflection (not a question for the FAQ); a missed quiz question
back a day later, then after 3 and 7 days."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core import FixedClock, Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from content.loader import PackLibrary
from handlers.missions.models import MissionReflection, ReviewItem
from handlers.missions.repo import ReviewRepo
from handlers.registry import nudge_sources
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion
from tests.scheduler.fakes import RecordingChannel

WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def planner(database: Database, library: PackLibrary, settings: Settings,
            clock: FixedClock) -> Planner:
    # a pass every 3 hours plans what comes due before the next one, at its exact time
    every = settings.model_copy(update={"planner_interval": 3 * 3600})
    return Planner(database, library, every, clock, sources=nudge_sources())


@pytest.fixture
def dispatcher(database: Database, channel: RecordingChannel, clock: FixedClock,
               planner: Planner) -> Dispatcher:
    return Dispatcher(database, {"console": channel}, clock, rate=None, chat_interval=0,
                      validators=[planner.validator()])


async def _hours(n: int, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
                 channel: RecordingChannel, database: Database,
                 step: int = 1) -> list[tuple[str, Reply]]:
    """Lets `n` hours pass with the scheduler running every `step` hours; what was sent,
    with the local time (WITA) it arrived."""
    out = []
    for _ in range(0, n, step):
        async with database.transaction() as s:
            await ReviewRepo(s).sync(clock.now())
        await planner.run_pass()
        before = len(channel.sent)
        await dispatcher.run_until_idle()
        at = clock.now().astimezone(WITA).strftime("%d %H:00")
        out += [(at, r) for _, r in channel.sent[before:]]
        clock.advance(hours=step)
    return out


async def test_a_missed_deadline_gets_a_reminder_before_and_a_check_in_after(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel, database: Database) -> None:
    await finish_promotion(chat)  # 2 Nov 11:00 WITA: "First video" due 9 Nov
    sent = await _hours(24 * 8 + 3, clock, planner, dispatcher, channel, database, step=3)
    about = [r.text for _, r in sent if "First video" in r.text]
    assert len(about) == 3
    assert "A new practice mission for you: *First video*" in about[0] and "Due: 9 Nov" in about[0]
    assert "*First video* is due soon (9 Nov)" in about[1]
    assert "what got in the way" in about[2]
    async with database.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).where(
            OutboxMessage.kind == "nudge", OutboxMessage.status == "sent"))).scalars().all()
    local = {r.dedupe_key.split(":")[2]: r.due_at.astimezone(WITA) for r in rows
             if r.dedupe_key.endswith(":first-video")}
    # sent when planned: 10 minutes after the module, then 10:00 her time on the eve of the
    # deadline and on the morning after it
    assert {k: v.strftime("%d %H:%M") for k, v in local.items()} == {
        "mnew": "02 11:10", "mrem": "08 10:00", "mchk": "10 10:00"}
    times = [r.due_at.astimezone(WITA) for r in rows]
    assert all(8 <= t.hour < 21 for t in times), "never in quiet hours"
    assert len({t.date() for t in times}) == len(times), "at most one nudge a day"

    await chat.send("/menu")
    await chat.send("My phone broke and I could not record")
    assert "noted it for your coaches" in chat.text
    async with database.transaction() as s:
        said = list((await s.execute(select(MissionReflection.text))).scalars())
    assert said == ["My phone broke and I could not record"]


async def test_proof_sent_in_time_cancels_the_reminder(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel, database: Database) -> None:
    await finish_promotion(chat)
    await _hours(24 * 5, clock, planner, dispatcher, channel, database, step=3)
    await chat.send("/menu")
    await chat.send("https://video.example/v/7")
    assert "I've got your proof for *First video*" in chat.text
    sent = await _hours(24 * 5, clock, planner, dispatcher, channel, database, step=3)
    assert not [r for _, r in sent if "First video" in r.text]


async def test_a_missed_quiz_question_comes_back_after_one_three_and_seven_days(
        chat: Chat, clock: FixedClock, dispatcher: Dispatcher, channel: RecordingChannel,
        database: Database, library: PackLibrary, settings: Settings) -> None:
    # room for the review beside the retake nudge of the same day
    planner = Planner(database, library, settings.model_copy(update={"nudges_per_day": 3}),
                      clock, sources=nudge_sources())
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Module quiz")
    await chat.press("Likes")  # missed
    await chat.press("The coach")
    got = await _hours(30, clock, planner, dispatcher, channel, database, 3)
    asked = [r for _, r in got if "One quick question" in r.text]
    assert len(asked) == 1 and "Commission comes from?" in asked[0].text
    await chat.press_payload(next(b.payload for b in asked[0].flat_buttons
                                  if "Likes" in b.label))
    assert "Not quite" in chat.text and "The right answer: *Bookings*" in chat.text

    again = [r for _, r in await _hours(27, clock, planner, dispatcher, channel, database, 3)
             if "One quick question" in r.text]
    assert len(again) == 1
    await chat.press_payload(next(b.payload for b in again[0].flat_buttons
                                  if "Bookings" in b.label))
    assert "I'll ask this one again in 3 days" in chat.text
    await chat.press_payload(next(b.payload for b in again[0].flat_buttons
                                  if "Bookings" in b.label))
    assert "no longer works" in chat.text  # a second tap is an old button, not an answer

    for days in (3, 7):
        # (a review due in the evening waits for the morning)
        got = await _hours(24 * days + 15, clock, planner, dispatcher, channel, database, 3)
        sent = [r for _, r in got if "One quick question" in r.text]
        assert len(sent) == 1, days
        await chat.press_payload(next(b.payload for b in sent[0].flat_buttons
                                      if "Bookings" in b.label))
    assert "You've mastered this one" in chat.text
    await chat.send("/progress")
    assert "Review questions mastered: 1" in chat.text
    async with database.transaction() as s:
        item = (await s.execute(select(ReviewItem))).scalar_one()
    assert item.mastered and item.question_id == "q1"
    assert clock.now() - item.updated_at < timedelta(days=1)
