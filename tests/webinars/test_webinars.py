"""A coach announces a webinar; partners RSVP; reminders follow the webinar when it moves
and stop when it is cancelled."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxStatus
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded, outbox

# the FixedClock starts at 2026-11-02 03:00 UTC (10:00 WIB)
START = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)  # 19:00 WIB


async def announce(coach: Chat, *, followup: str | None = None, when: str = "05/11/2026 19:00",
                   cohort: str | None = None) -> None:
    await coach.send("/webinar")
    await coach.send("Live selling 101")
    await coach.send(when)
    await coach.send("https://zoom.us/j/123")
    await coach.send("How to sell live on TikTok")
    if followup:
        await coach.send(followup)
    else:
        await coach.press("Skip")
    if cohort:
        await coach.press("One cohort")
        await coach.press(cohort)
    else:
        await coach.press("Everyone")
    assert "Check before announcing" in coach.text
    await coach.press("Announce")


async def rsvp(chat: Chat, db: Database, answer: str) -> None:
    rows = await outbox(db, "wa:")
    mine = [r for r in rows if r.chat_id == chat.user]
    assert mine, f"{chat.user} got no invitation"
    label = {"yes": "✅", "no": "🙅"}[answer]
    button = next(b for row in mine[-1].payload["buttons"] for b in row  # type: ignore[union-attr]
                  if b["label"].startswith(label))
    await chat.press_payload(button["payload"])


async def test_coach_announces_and_sari_says_yes_and_gets_two_reminders(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari", tz="WITA")
    await announce(coach, followup="Slides: https://x.id/s")
    assert "announced to 1 partners" in coach.text

    invitation = (await outbox(database, "wa:"))[0]
    assert invitation.kind == "announcement"
    # Sari lives in WITA: she sees 20:00, the coach typed 19:00 WIB
    assert "05-11-2026 20:00 WITA" in invitation.payload["text"]  # type: ignore[operator]

    await rsvp(sari, database, "yes")
    assert "you're on the list" in sari.text
    reminders = {r.dedupe_key.rsplit(":", 1)[1]: r for r in await outbox(database, "wr:")}
    assert reminders["24h"].due_at == datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    assert reminders["1h"].due_at == datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
    assert reminders["fu"].due_at == datetime(2026, 11, 5, 14, 0, tzinfo=UTC)
    assert "Slides" in reminders["fu"].payload["text"]  # type: ignore[operator]

    await coach.send("/webinars")
    assert "1 attending" in coach.text
    await coach.press("Attendance")
    assert "✅ Sari" in coach.text


async def test_saying_no_after_yes_cancels_the_reminders_and_yes_again_brings_them_back(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach)
    await rsvp(sari, database, "yes")
    await rsvp(sari, database, "no")
    assert "no problem" in sari.text
    assert {r.status for r in await outbox(database, "wr:")} == {OutboxStatus.CANCELLED.value}
    await rsvp(sari, database, "yes")
    assert {r.status for r in await outbox(database, "wr:")} == {OutboxStatus.PENDING.value}
    assert len(await outbox(database, "wr:")) == 2  # no duplicates


async def test_an_rsvp_close_to_the_start_only_gets_the_reminders_still_ahead(
        coach: Chat, bot: CoachBot, database: Database, clock: FixedClock) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach)
    clock.current = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)  # 10 h before
    await rsvp(sari, database, "yes")
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in await outbox(database, "wr:")] == ["1h"]


async def test_moving_the_webinar_reschedules_reminders_and_tells_attendees(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    budi = await onboarded(bot, "budi", "Budi")
    await announce(coach)
    await rsvp(sari, database, "yes")
    await rsvp(budi, database, "no")
    await coach.send("/webinars")
    await coach.press("Move")
    await coach.send("next week maybe")
    assert "couldn't read that time" in coach.text
    await coach.send("07/11/2026 19:00")
    assert "1 attendees were told" in coach.text

    rows = await outbox(database, "wr:")
    old = [r for r in rows if r.dedupe_key.split(":")[3] == "0"]  # wr:web:partner:rev:label
    new = [r for r in rows if r.dedupe_key.split(":")[3] == "1"]
    assert {r.status for r in old} == {OutboxStatus.CANCELLED.value}
    assert {r.status for r in new} == {OutboxStatus.PENDING.value}
    assert {r.due_at for r in new} == {datetime(2026, 11, 6, 12, 0, tzinfo=UTC),
                                       datetime(2026, 11, 7, 11, 0, tzinfo=UTC)}
    moved = await outbox(database, "wm:")
    assert [r.chat_id for r in moved] == ["sari"]
    assert "07-11-2026 20:00 WITA" in moved[0].payload["text"]  # type: ignore[operator]


async def test_cancelling_stops_reminders_tells_attendees_and_closes_rsvp(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach)
    await rsvp(sari, database, "yes")
    await coach.send("/webinars")
    await coach.press("Cancel webinar")
    await coach.press("Keep it")
    assert "stays on" in coach.text
    await coach.send("/webinars")
    await coach.press("Cancel webinar")
    await coach.press("Yes, cancel it")
    assert "1 attendees were told" in coach.text
    assert {r.status for r in await outbox(database, "wr:")} == {OutboxStatus.CANCELLED.value}
    assert len(await outbox(database, "wx:")) == 1
    await rsvp(sari, database, "yes")
    assert "is over or was cancelled" in sari.text
    await coach.press_payload("cw1:xy:1")
    assert "can't be changed" in coach.text


async def test_a_forged_rsvp_for_a_webinar_sari_was_not_invited_to_is_refused(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    await coach.send("/webinars")
    assert "No upcoming webinars" in coach.text
    sari = await onboarded(bot, "sari", "Sari", lang="English")
    for payload in ("wr1:1:y", "wr1:999:y", "wr1:1:maybe", "wr1:x:y", "wr1"):
        await sari.press_payload(payload)
        assert "couldn't find this webinar invitation" in sari.text
    assert await outbox(database, "wr:") == []


async def test_a_webinar_for_one_cohort_reaches_only_that_cohort(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    async with bot.db.transaction() as s:
        from bot.storage.repos import CohortRepo

        await CohortRepo(s).create("Batch 1", "example", bot.clock.now(), "batch1")
    await onboarded(bot, "sari", "Sari")
    budi = Chat(bot, user="budi")
    await budi.send("/start batch1")
    await budi.press("English")
    await announce(coach, cohort="Batch 1")
    assert [r.chat_id for r in await outbox(database, "wa:")] == ["budi"]


async def test_bad_answers_in_the_guided_flow_are_explained(coach: Chat) -> None:
    await coach.send("/webinar")
    await coach.send("   ")
    assert "message" in coach.text.lower() or "can't be empty" in coach.text
    await coach.send("Live selling")
    await coach.send("01/11/2026 10:00")
    assert "already passed" in coach.text
    await coach.send("05/11/2026 19:00")
    await coach.send("zoom dot us")
    assert "doesn't look like a link" in coach.text
    await coach.press("Cancel")
    assert "Nothing was sent" in coach.text
    await coach.send("just chatting")
    assert "Check before announcing" not in coach.text
    await coach.press_payload("cw1:go")
    assert "no longer works" in coach.text
