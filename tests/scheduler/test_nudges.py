"""A partner's follow-up nudges end to end: planned by the rules, sent by the dispatcher."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.registry import nudge_sources
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import Outbox
from scheduler.planner import Planner
from tests.fixtures.chat import Chat
from tests.scheduler.fakes import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def planner(database: Database, library: PackLibrary, settings: Settings,
            clock: FixedClock) -> Planner:
    return Planner(database, library, settings, clock, sources=nudge_sources())


@pytest.fixture
def dispatcher(database: Database, channel: RecordingChannel, clock: FixedClock,
               planner: Planner) -> Dispatcher:
    return Dispatcher(database, {"console": channel}, clock, rate=None, chat_interval=0,
                      validators=[planner.validator()])


async def nudge_rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
                    .scalars())


async def stall_in_basics(chat: Chat) -> None:
    """Sari onboards (WITA), opens the basics module and stops at the reflective question."""
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    assert "Why did you join" in chat.text


async def test_stalled_partner_gets_a_warm_reminder_a_day_later_and_continues(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel) -> None:
    await stall_in_basics(chat)
    clock.advance(hours=23)
    assert (await planner.run_pass()).planned == 0
    clock.advance(hours=1)
    assert (await planner.run_pass()).planned == 1
    assert (await planner.run_pass()).planned == 0  # planned once, however often we look
    await dispatcher.run_until_idle()
    assert channel.texts("sari") == ["Shall we continue Program basics, Sari?"]
    reply = channel.sent[0][1]
    assert [b.label for b in reply.flat_buttons] == ["▶️ Continue", "🔕 Stop reminders"]
    await chat.press_payload(reply.flat_buttons[0].payload)
    assert "Why did you join" in chat.text
    [row] = await nudge_rows(planner.db)
    assert row.status == "sent" and row.message_ref == "1000" and row.attempts == 1


async def test_a_nudge_is_cancelled_when_the_partner_went_on_before_it_was_due(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel, settings: Settings) -> None:
    await stall_in_basics(chat)
    clock.advance(hours=24)
    # late evening in Makassar: the nudge waits for 08:00 there
    clock.current = clock.current.replace(hour=13, minute=30)  # 21:30 WITA
    assert (await planner.run_pass()).planned == 1
    [row] = await nudge_rows(planner.db)
    assert row.due_at.isoformat() == clock.current.replace(day=4, hour=0, minute=0).isoformat()
    await chat.send("I joined for extra income")  # she went on by herself
    clock.advance(hours=12)
    stats = await dispatcher.run_until_idle()
    assert stats.cancelled == 1 and channel.sent == []
    [row] = await nudge_rows(planner.db)
    assert row.status == "cancelled" and row.last_error == "reason gone"


async def test_finishing_a_module_suggests_the_next_one_an_hour_later(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel) -> None:
    await stall_in_basics(chat)
    await chat.send("extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")
    assert "You finished" in chat.text
    clock.advance(minutes=50)
    assert (await planner.run_pass()).planned == 0
    clock.advance(minutes=10)
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert channel.texts() == ["Ready for Promotion?"]
    await chat.press_payload(channel.sent[0][1].flat_buttons[0].payload)
    assert "Promotion" in chat.text


async def finish_both_modules(chat: Chat) -> None:
    await stall_in_basics(chat)
    await chat.send("extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    assert "You finished" in chat.text


async def test_failed_quiz_gets_a_retake_nudge_the_next_day_naming_what_to_review(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel) -> None:
    await finish_both_modules(chat)
    await chat.press("Menu")
    await chat.press("Final readiness quiz")
    await chat.press("Midnight")
    await chat.press("Nobody")
    assert "Not a pass" in chat.text
    clock.advance(hours=19)
    assert (await planner.run_pass()).planned == 0
    clock.advance(hours=1)  # 07:00 in Makassar: planned, but it waits for the morning
    assert (await planner.run_pass()).planned == 1
    await dispatcher.run_until_idle()
    assert channel.sent == []
    clock.advance(hours=1)
    await dispatcher.run_until_idle()
    assert channel.texts() == ["Try the quiz again; review the promotion calendar."]
    await chat.press_payload(channel.sent[0][1].flat_buttons[0].payload)
    assert "Twin dates" in chat.text  # the retake starts


async def test_calendar_tip_the_day_before_a_twin_date_after_the_promotion_module(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel) -> None:
    await finish_both_modules(chat)
    clock.current = clock.current.replace(day=9, hour=12)
    await chat.press("Menu")  # she drops by on the 9th
    clock.current = clock.current.replace(day=10, hour=1, minute=0)  # 09:00 WITA on 10.11
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert channel.sent == []
    clock.advance(hours=1)  # 10:00 WITA
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert channel.texts() == ["Tomorrow is the 11.11 twin date! Get your content ready."]


async def test_at_most_one_nudge_a_day(chat: Chat, clock: FixedClock, planner: Planner,
                                       dispatcher: Dispatcher,
                                       channel: RecordingChannel) -> None:
    await stall_in_basics(chat)
    clock.advance(hours=24)
    await planner.run_pass()
    await dispatcher.run_until_idle()
    await chat.send("extra income")  # she answers, then stalls again at the check
    clock.advance(hours=24)
    await planner.run_pass()
    await dispatcher.run_until_idle()
    assert len(channel.sent) == 2
    assert channel.sent[1][1].text.startswith("Shall we continue")


async def test_stop_asks_first_then_cancels_and_silences_nudges_until_start(
        chat: Chat, clock: FixedClock, planner: Planner, dispatcher: Dispatcher,
        channel: RecordingChannel) -> None:
    await stall_in_basics(chat)
    clock.advance(hours=24)
    await planner.run_pass()
    await chat.send("/berhenti")
    assert "really want to stop" in chat.text
    await chat.press("No, keep")
    assert "reminders stay on" in chat.text
    await chat.send("/stop")
    yes = chat.button("Yes, stop")
    await chat.press_payload(yes.payload)
    assert "won't send you reminders" in chat.text
    [row] = await nudge_rows(planner.db)
    assert row.status == "cancelled"
    await chat.press_payload(yes.payload)  # the old confirmation pressed again
    assert "already off" in chat.text
    clock.advance(days=8)
    assert (await planner.run_pass()).planned == 0
    await dispatcher.run_until_idle()
    assert channel.sent == []
    await chat.send("/start")
    assert "on again" in chat.text
    clock.advance(days=8)
    assert (await planner.run_pass()).planned == 1


async def test_preview_shows_pending_rows_and_what_the_rules_plan_next(
        chat: Chat, clock: FixedClock, planner: Planner) -> None:
    await stall_in_basics(chat)
    preview = await planner.preview(1)
    assert preview is not None and preview.timezone == "Asia/Makassar"
    assert [p.nudge.kind.value for p in preview.planned] == ["stalled", "inactive"]
    clock.advance(hours=24)
    await planner.run_pass()
    preview = await planner.preview(1)
    assert preview is not None
    assert [r.kind for r in preview.pending] == ["nudge"]
    assert [p.nudge.kind.value for p in preview.planned] == ["inactive"]


async def test_coaches_are_not_nudged(bot: CoachBot, clock: FixedClock, planner: Planner) -> None:
    coach = Chat(bot, user="coach-ani")
    await coach.onboard(name="Ani")
    async with planner.db.transaction() as s:
        await s.execute(Partner.__table__.update().values(role="coach"))
    clock.advance(days=8)
    assert (await planner.run_pass()).planned == 0


async def test_outbox_helpers_cancel_by_prefix(database: Database, clock: FixedClock) -> None:
    from bot.core import Reply

    async with database.transaction() as s:
        for i in range(3):
            await Outbox(s).add(channel="console", chat_id=f"p{i}", kind="reminder",
                                       reply=Reply("Webinar in an hour"), due_at=clock.now(),
                                       dedupe_key=f"webinar:7:remind:{i}", now=clock.now())
        assert not await Outbox(s).add(channel="console", chat_id="p0", kind="reminder",
                                       reply=Reply("again"), due_at=clock.now(),
                                       dedupe_key="webinar:7:remind:0", now=clock.now())
        await Outbox(s).add(channel="console", chat_id="p9", kind="reminder",
                                   reply=Reply("Other webinar"), due_at=clock.now(),
                                   dedupe_key="webinar:70:remind:9", now=clock.now())
        assert await Outbox(s).cancel_prefix("webinar:7:") == 3
        assert await Outbox(s).counts() == {"cancelled": 3, "pending": 1}
