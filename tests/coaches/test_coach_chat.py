"""Coaches run their guided flows where they work: the coach console (`coachbot chat
--coach`), a Telegram group configured as the coaches' chat, and a private chat."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.repos import Repos
from handlers.broadcasts.service import Broadcasts
from handlers.kit.context import CONSOLE_COACH_CHAT
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded

GROUP = "-1001234"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"admin_ids": ["console:admin-1", f"console:{CONSOLE_COACH_CHAT}"]})


async def the_console_coach(bot: CoachBot) -> Chat:
    """The coach console: its user is the coaches' chat itself (an admin here)."""
    chat = Chat(bot, user=CONSOLE_COACH_CHAT, language_hint="en")
    await chat.send("/language en")
    return chat


def with_the_group(bot: CoachBot) -> CoachBot:
    """The deployment with GROUP as its coaches' chat (COACHBOT_COACH_CHAT_ID)."""
    return CoachBot(bot.db, bot.library, bot.settings.model_copy(
        update={"coach_chat_id": GROUP}), clock=bot.clock)


async def a_coach_in_the_group(bot: CoachBot) -> Chat:
    await Chat(bot, user="admin-1", language_hint="en").send("/addcoach 555 Rina")
    chat = Chat(bot, user="555", language_hint="en", chat_id=GROUP, is_group=True)
    await chat.send("/language en")
    return chat


async def broadcast_typed_in(coach: Chat, text: str) -> None:
    await coach.send("/broadcast")
    await coach.press("Everyone")
    await coach.send(text)


async def test_the_console_coach_writes_a_broadcast_and_sees_its_preview(
        bot: CoachBot, database: Database) -> None:
    await onboarded(bot, "sari", "Sari")
    coach = await the_console_coach(bot)
    await broadcast_typed_in(coach, "Webinar besok jam 19:00 ya!")
    assert "Broadcast preview" in coach.text and "1 partners" in coach.text
    assert "Webinar besok jam 19:00 ya!" in coach.text
    await coach.press("Send now")
    async with database.transaction() as s:
        [sent] = await Repos(s).get(Broadcasts).recent()
    assert sent.total == 1


async def test_the_console_coach_still_hears_how_to_answer_tickets(bot: CoachBot) -> None:
    coach = await the_console_coach(bot)
    await coach.send("hello?")
    assert "/reply" in coach.text


async def test_a_coach_in_the_group_writes_a_broadcast_and_a_webinar(bot: CoachBot) -> None:
    bot = with_the_group(bot)
    await onboarded(bot, "sari", "Sari")
    coach = await a_coach_in_the_group(bot)
    await broadcast_typed_in(coach, "Halo semua, jangan lupa kuisnya!")
    assert "Broadcast preview" in coach.text
    assert "Halo semua, jangan lupa kuisnya!" in coach.text
    await coach.press("Cancel")

    await coach.send("/webinar")
    await coach.send("Live selling 101")
    assert "When does it start" in coach.text


async def test_chatter_between_coaches_in_the_group_gets_no_answer(bot: CoachBot) -> None:
    coach = await a_coach_in_the_group(with_the_group(bot))
    assert await coach.send("siapa yang pegang tiket Sari?") == []


async def test_the_console_coach_adds_a_coach(bot: CoachBot) -> None:
    coach = await the_console_coach(bot)
    await coach.send("/addcoach dewi Dewi")
    assert "Dewi is now a coach" in coach.text
    dewi = Chat(bot, user="dewi", language_hint="en")
    await dewi.send("/coaches")
    assert "Dewi (console:dewi)" in dewi.text
