"""A coach picks a segment, previews, confirms, and follows a broadcast to its report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import CoachBot
from bot.core import FixedClock, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxStatus
from handlers.audience import segments
from handlers.audience.segments import Audience
from handlers.broadcasts.service import Broadcasts
from scheduler.dispatcher import Dispatcher
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded, outbox
from tests.scheduler.fakes import RecordingChannel


async def finish_basics(chat: Chat) -> None:
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("Extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")


async def take_basics_quiz(chat: Chat, *, good: bool) -> None:
    await chat.press("Module quiz")
    await chat.press("Bookings" if good else "Likes")
    await chat.press("The coach" if good else "Nobody")


@pytest.fixture
async def cohort_of_four(bot: CoachBot) -> dict[str, Chat]:
    """Sari finished basics and passed its quiz, Budi finished and failed, Ani just started,
    Dewi opted out."""
    sari = await onboarded(bot, "sari", "Sari")
    await finish_basics(sari)
    await take_basics_quiz(sari, good=True)
    budi = await onboarded(bot, "budi", "Budi")
    await finish_basics(budi)
    await take_basics_quiz(budi, good=False)
    ani = await onboarded(bot, "ani", "Ani")
    dewi = await onboarded(bot, "dewi", "Dewi")
    await dewi.send("/stop")
    await dewi.press_payload("st1:yes")
    return {"sari": sari, "budi": budi, "ani": ani, "dewi": dewi}


@pytest.mark.parametrize(("spec", "who"), [
    ("all", {"sari", "budi", "ani"}),
    ("finished:basics", {"sari", "budi"}),
    ("not_finished:basics", {"ani"}),
    ("quiz_below:basics:70", {"budi"}),
    ("quiz_below:basics:100.5", None),
    ("finished:basics+not_finished:promo", {"sari", "budi"}),
])
async def test_segments_pick_the_right_partners(cohort_of_four: dict[str, Chat],
                                                bot: CoachBot, database: Database, spec: str,
                                                who: set[str] | None) -> None:
    async with database.transaction() as s:
        if who is None:
            with pytest.raises(segments.SegmentError):
                segments.parse(spec)
            return
        found = await Audience(s).resolve(segments.parse(spec),
                                          segments.Catalog.of(bot.library.packs))
    assert {r.chat_id for r in found} == who


@pytest.mark.parametrize("spec", ["", "everyone", "cohort", "quiz_below:basics", "rsvp:abc",
                                  "cohort:a:b", "quiz_below:basics:0"])
def test_bad_segment_specs_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(segments.SegmentError):
        segments.parse(spec)


async def test_coach_previews_confirms_and_gets_the_report_in_chat(
        coach: Chat, cohort_of_four: dict[str, Chat], database: Database,
        clock: FixedClock) -> None:
    await coach.send("/broadcast")
    await coach.press("Quiz score below")
    await coach.press("Program basics")
    await coach.send("lots")
    assert "number from 1 to 100" in coach.text
    await coach.send("70")
    await coach.send("Yuk ulangi kuisnya, kamu pasti bisa!")
    assert "*1 partners*" in coach.text and "Yuk ulangi" in coach.text
    assert await outbox(database, "bc:") == []  # nothing before the explicit confirmation
    await coach.press("Send now to 1")
    assert "Broadcast #1 is being sent to 1 partners" in coach.text
    status = coach.button("Status")
    await coach.press_payload("cb1:now")  # a second press of the same button
    assert "no longer works" in coach.text

    budi = cohort_of_four["budi"]
    channel = RecordingChannel()
    channel.answer("budi", SendResult.ok("m1"))
    await Dispatcher(database, {"console": channel}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    await coach.press_payload(status.payload)
    assert "sent=1 blocked=0 failed=0 pending=0" in coach.text
    report = await outbox(database, "bcr:")
    assert [r.chat_id for r in report] == ["coach-1"]
    assert "Broadcast #1 is finished" in report[0].payload["text"]  # type: ignore[operator]
    assert budi.user == "budi"


async def test_a_scheduled_broadcast_waits_for_its_time_and_can_be_stopped(
        coach: Chat, cohort_of_four: dict[str, Chat], database: Database) -> None:
    await coach.send("/broadcast")
    await coach.press("Everyone")
    await coach.send("Webinar besok jam 19:00!")
    await coach.press("Send at a time")
    await coach.send("01/11/2026 08:00")
    assert "has passed" in coach.text
    await coach.send("03/11/2026 08:00")
    await coach.press("Schedule for 03-11-2026 08:00")
    assert "scheduled for 03-11-2026 08:00 WIB to 3 partners" in coach.text
    rows = await outbox(database, "bc:")
    assert {r.due_at for r in rows} == {datetime(2026, 11, 3, 1, 0, tzinfo=UTC)}
    stop = coach.button("Stop it")
    await coach.press_payload(stop.payload)
    assert "3 unsent messages were cancelled" in coach.text
    assert {r.status for r in await outbox(database, "bc:")} == {OutboxStatus.CANCELLED.value}
    await coach.press_payload(stop.payload)
    assert "already stopped" in coach.text


async def test_cancel_while_running_keeps_what_was_sent(
        coach: Chat, cohort_of_four: dict[str, Chat], database: Database,
        clock: FixedClock) -> None:
    async with database.transaction() as s:
        info = await Broadcasts(s).create(segment="all", text="Halo semua", send_at=clock.now(),
                                       created_by=None, now=clock.now())
    channel = RecordingChannel()
    await Dispatcher(database, {"console": channel}, clock, rate=None, chat_interval=0,
                     batch_size=1).tick()
    async with database.transaction() as s:
        assert await Broadcasts(s).cancel(info.id, clock.now()) == 2
        pr = await Broadcasts(s).progress(info.id, clock.now())
    assert pr.summary() == "sent=1 blocked=0 failed=0 pending=0 elapsed_s=0 cancelled=2"
    assert len(channel.sent) == 1


async def test_a_partner_who_blocked_the_bot_is_counted_as_blocked(
        cohort_of_four: dict[str, Chat], database: Database, clock: FixedClock) -> None:
    async with database.transaction() as s:
        info = await Broadcasts(s).create(segment="all", text="Halo", send_at=clock.now(),
                                       created_by=None, now=clock.now())
    channel = RecordingChannel()
    channel.answer("ani", SendResult.blocked())
    await Dispatcher(database, {"console": channel}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    clock.advance(seconds=5)
    async with database.transaction() as s:
        pr = await Broadcasts(s).progress(info.id, clock.now())
        again = await Audience(s).count(segments.parse("all"))
    assert (pr.sent, pr.blocked, pr.failed, pr.pending) == (2, 1, 0, 0)
    assert again == 2  # Ani is not in the next broadcast


async def test_an_empty_segment_or_message_is_refused_kindly(
        coach: Chat, cohort_of_four: dict[str, Chat]) -> None:
    await coach.send("/broadcast")
    await coach.press("RSVP'd to a webinar")
    assert "no upcoming webinars" in coach.text
    await coach.press("Not finished a module")
    await coach.press("Promotion")
    await coach.send("x" * 4097)
    assert "too long" in coach.text
    await coach.send("Ayo lanjut!")
    await coach.press("Edit message")
    await coach.send("Ayo lanjut modul promosi!")
    assert "Ayo lanjut modul promosi!" in coach.text
    await coach.send("/broadcast")
    await coach.press("One cohort")
    assert "no cohorts yet" in coach.text


async def test_the_running_scheduler_tells_the_coach_when_a_broadcast_is_finished(
        coach: Chat, cohort_of_four: dict[str, Chat], database: Database, bot: CoachBot,
        clock: FixedClock) -> None:
    from scheduler.service import SchedulerService

    await coach.send("/broadcast")
    await coach.press("Everyone")
    await coach.send("Webinar besok jam 19.00, jangan lupa ya!")
    await coach.press("Send now to 3")
    channel = RecordingChannel()
    for who in ("sari", "budi", "ani"):
        channel.answer(who, SendResult.ok(f"m-{who}"))
    service = SchedulerService.for_app(bot, {"console": channel})
    service.dispatcher.chat_interval = service.dispatcher.chat_interval * 0
    assert await service.leader.check()  # the one process of this deployment leads
    reports = next(job for job in service.jobs if job.name == "broadcast-reports")
    try:
        await service.run_job(reports)
        assert await outbox(database, "bcr:") == []  # not finished yet: nothing to report
        await service.dispatcher.run_until_idle()
        await service.run_job(reports)
        await service.run_job(reports)  # a second check reports nothing twice
    finally:
        await service.leader.release()
    report = await outbox(database, "bcr:")
    assert [r.chat_id for r in report] == ["coach-1"]
    assert "sent=3 blocked=0 failed=0 pending=0" in report[0].payload["text"]  # type: ignore[operator]
