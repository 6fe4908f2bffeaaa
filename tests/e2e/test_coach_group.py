"""Coaches work in their Telegram group: the guided flows take what they type there, with
both drivers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CoachBot
from bot.config import Settings
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


def texts(messages: list[Json]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_a_coach_in_the_group_writes_a_broadcast_and_a_webinar(
        bot: CoachBot, fake: FakeBotAPI, settings: Settings, driver_name: str) -> None:
    coaches = fake.group("Coaches")
    rina = fake.user("Rina", language_code="en")
    sari = fake.user("Sari", language_code="en")
    config = telegram_settings(settings, fake, driver_name, "polling",
                               coach_chat_id=str(coaches.chat_id), admin_ids=[str(rina.id)])
    app = CoachBot(bot.db, bot.library, config, clock=bot.clock)
    async with serving(app, config):
        await sari.say("/start")

        menu = await coaches.settle(await coaches.send(rina, "/broadcast"))
        asked = await coaches.settle(await coaches.press(rina, menu[-1], "Everyone"))
        assert "Now type the message" in texts(asked)
        preview = await coaches.settle(await coaches.send(rina, "Webinar tonight, 19:00!"))
        assert "Broadcast preview" in texts(preview)
        assert preview[-1]["text"] == "Webinar tonight, 19:00!"
        await coaches.settle(await coaches.press(rina, preview[-1], "Cancel"))

        await coaches.settle(await coaches.send(rina, "/webinar"))
        when = await coaches.settle(await coaches.send(rina, "Live selling 101"))
        assert "When does it start" in texts(when)
        await coaches.settle(await coaches.press(rina, when[-1], "Cancel"))

        dewi = fake.user("Dewi", language_code="en")
        added = await coaches.settle(await coaches.send(rina, f"/addcoach {dewi.id} Dewi"))
        assert "Dewi is now a coach" in texts(added)
        listed = await coaches.settle(await coaches.send(dewi, "/coaches"))
        assert f"Dewi (telegram:{dewi.id})" in texts(listed), "Dewi may use coach commands"

        chatter = await coaches.settle(await coaches.send(rina, "thanks all, see you"))
        assert chatter == [], "talk between coaches is not answered"


async def test_the_same_flows_work_in_the_coachs_private_chat(
        bot: CoachBot, fake: FakeBotAPI, settings: Settings, driver_name: str) -> None:
    coaches = fake.group("Coaches")
    rina = fake.user("Rina", language_code="en")
    sari = fake.user("Sari", language_code="en")
    config = telegram_settings(settings, fake, driver_name, "polling",
                               coach_chat_id=str(coaches.chat_id), admin_ids=[str(rina.id)])
    app = CoachBot(bot.db, bot.library, config, clock=bot.clock)
    async with serving(app, config):
        await sari.say("/start")
        menu = await rina.say("/broadcast")
        asked = await rina.tap(menu, "Everyone")
        assert "Now type the message" in texts(asked)
        preview = await rina.say("Webinar tonight, 19:00!")
        assert "Broadcast preview" in texts(preview)
        await rina.tap(preview, "Cancel")
        await rina.say("/webinar")
        assert "When does it start" in texts(await rina.say("Live selling 101"))
        report = await rina.say("/cohort")
        assert "— 1 partners" in texts(report)
        assert coaches.messages == [], "nothing of it lands in the coaches' group"
