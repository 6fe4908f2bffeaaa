"""The RSVP answer promises only the reminders that will really be sent."""

from __future__ import annotations

from bot.app import CoachBot
from bot.storage.db import Database
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded, outbox
from tests.webinars.test_webinars import announce, rsvp


async def test_a_webinar_tonight_promises_only_the_one_hour_reminder(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach, when="02/11/2026 20:00")  # 10 hours from now
    await rsvp(sari, database, "yes")
    assert "I'll remind you 1 hour before" in sari.text
    assert "24 hours" not in sari.text
    kinds = {r.dedupe_key.rsplit(":", 1)[1] for r in await outbox(database, "wr:")}
    assert kinds == {"1h"}


async def test_a_webinar_within_the_hour_promises_no_reminder(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach, when="02/11/2026 10:30")  # 30 minutes from now
    await rsvp(sari, database, "yes")
    assert "It starts soon" in sari.text and "remind" not in sari.text
    assert await outbox(database, "wr:") == []


async def test_far_ahead_both_reminders_are_promised(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach)
    await rsvp(sari, database, "yes")
    assert "I'll remind you 24 hours and 1 hour before" in sari.text


async def test_moving_a_webinar_to_within_the_hour_does_not_claim_new_reminders(
        coach: Chat, bot: CoachBot, database: Database) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await announce(coach)
    await rsvp(sari, database, "yes")
    await coach.send("/webinars")
    await coach.press("Move")
    await coach.send("02/11/2026 10:40")  # 40 minutes from now
    [moved] = await outbox(database, "wm:")
    text = str(moved.payload["text"])
    assert "starting soon" in text and "reminders" not in text
