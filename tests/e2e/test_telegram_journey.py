"""A partner's first session on Telegram, with each driver, polling and webhook."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram.runner import TelegramRunner
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


def texts(messages: list[Json]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def keyboard_of(fake: FakeBotAPI, message: Json) -> Json | None:
    """The message's keyboard as it is now on Telegram."""
    return fake.messages[message["chat"]["id"]][message["message_id"]].get("reply_markup")


async def test_partner_starts_onboards_and_works_through_the_first_module(
        telegram: TelegramRunner, fake: FakeBotAPI) -> None:
    sari = fake.user("Sari", language_code="en")

    hello = await sari.say("/start")
    assert "Hi! I'm your digital coach." in texts(hello)
    language = await sari.tap(hello, "English")
    assert "What should I call you" in texts(language)
    assert keyboard_of(fake, hello[-1]) is None, "the spent language buttons are removed"

    background = await sari.say("Sari")
    timezone = await sari.tap(background, "🎓")
    first_rating = await sari.tap(timezone, "WITA")
    assert "1/2" in texts(first_rating)
    second_rating = await sari.tap(first_rating, "2")
    menu = await sari.tap(second_rating, "3")
    assert "Your modules" in texts(menu)

    step1 = await sari.tap(menu, "Program basics")
    assert "step 1/3" in texts(step1)
    step2 = await sari.tap(step1, "Next")
    assert "Why did you join" in texts(step2)
    check = await sari.say("I want extra income for my studies")
    assert "Thank you for sharing" in texts(check) and "step 3/3" in texts(check)
    wrong = await sari.tap(check, "Follower count")
    assert "Not quite" in texts(wrong) and "followers alone" in texts(wrong)
    again = await sari.tap(wrong, "Try again")
    right = await sari.tap(again, "Completed bookings")
    assert "right" in texts(right).lower()

    home = await sari.say("/menu")
    assert "Your modules" in texts(home)

    assert fake.callbacks and fake.unanswered_callbacks == [], "every spinner stopped"
    assert all(c.status == 200 for c in fake.calls), [
        (c.method, c.result) for c in fake.calls if c.status != 200]
    # the Markdown subset reached Telegram as entities, not as stray asterisks
    assert not any("*" in m.get("text", "") for m in fake.chat_messages(sari.id))
