"""The coach's story on Telegram, with both drivers: the coach works in the coaches' group,
partners in their private chats, the dispatcher sends what the bot sends on its own."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from scheduler.dispatcher import Dispatcher
from tests.e2e import story
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fixtures.chat import Chat

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


def texts(messages: list[Json]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_a_coach_runs_a_cohort_from_the_telegram_group(
        database: Database, clock: FixedClock, settings: Settings, fake: FakeBotAPI,
        driver_name: str) -> None:
    coaches = fake.group("Coaches")
    rina = fake.user("Rina", language_code="en")
    sari_tg, budi_tg, ani_tg = (fake.user(n, language_code="en")
                                for n in ("Sari", "Budi", "Ani"))
    config = telegram_settings(settings, fake, driver_name, "polling",
                               coach_chat_id=str(coaches.chat_id), admin_ids=[str(rina.id)],
                               report_stalled_days=story.STALLED_DAYS)
    bot = CoachBot(database, story.mixed_library(), config, clock=clock)
    await story.cohorts(database, clock)
    # partners onboard through the core, as their Telegram accounts
    sari, budi, ani = (Chat(bot, user=str(u.id), channel="telegram")
                       for u in (sari_tg, budi_tg, ani_tg))
    await story.join(sari, "MEI", "Sari")
    await story.join(budi, "MEI", "Budi")
    await story.join(ani, "HOST", "Ani")
    await budi.press("Program basics")
    await ani.press("Hosting basics")

    async def say(text: str, reply_to: Json | None = None) -> list[Json]:
        return await coaches.settle(await coaches.send(rina, text, reply_to=reply_to))

    async def tap(message: Json, label: str) -> list[Json]:
        return await coaches.settle(await coaches.press(rina, message, label))

    async with serving(bot, config) as runner:
        dispatcher = Dispatcher(database, {"telegram": runner.channel}, clock, rate=None,
                                chat_interval=0)
        await say("/language en")
        await say("/webinar")
        await say("Live selling 101")
        await say("05/11/2026 19:00")
        skip = await say("https://zoom.us/j/123")
        skip = await tap(skip[-1], "Skip")
        audience = await tap(skip[-1], "Skip")
        cohort = await tap(audience[-1], "One cohort")
        preview = await tap(cohort[-1], "Batch Mei")
        assert "2 in Batch Mei · Example pack" in texts(preview)
        done = await tap(preview[-1], "Announce")
        assert "announced to 2 partners" in texts(done)

        menu = await say("/broadcast")
        modules = await tap(menu[-1], "Not finished")
        ask = await tap(modules[-1], "Program basics")
        assert "For: not finished module Program basics" in texts(ask)
        preview = await say("Jangan lupa webinar Kamis ya!")
        assert "2 partners" in texts(preview) and "Hosts Juni" not in texts(preview)
        await tap(preview[-1], "Send now")
        await dispatcher.run_until_idle()
        assert ani_tg.messages == [], "the host pack's partner gets neither"
        assert "Live selling 101" in texts(sari_tg.messages)
        assert "Jangan lupa webinar Kamis ya!" in texts(budi_tg.messages)

        going = await sari_tg.tap(sari_tg.messages, "I'll be there")
        assert "you're on the list" in texts(going)
        await budi_tg.tap(budi_tg.messages, "Can't make it")
        attending = await say("/webinars")
        answers = await story.rsvps(database)
        assert answers == {"yes": 1, "no": 1}
        assert f"{answers['yes']} attending" in texts(attending)

        await budi_tg.say("/coach how do I get my referral link?")
        await dispatcher.run_until_idle()
        ticket = next(m for m in coaches.unread()
                      if "how do I get my referral link?" in m.get("text", ""))
        coaches._seen = len(coaches.messages)
        sent = await say("Open the app, then tap Share.", reply_to=ticket)
        assert "Budi" in texts(sent)
        await dispatcher.run_until_idle()
        assert "Coach Rina replied" in texts(budi_tg.messages)

        clock.advance(days=4)
        await sari_tg.say("/menu")
        host = await say("/cohort HOST")
        assert "Ani — stopped at Hosting basics 1/3 · 4 days" in texts(host)
        profile = await say("/partner Ani")
        assert f"Ani (telegram:{ani_tg.id})" in texts(profile)
        assert "step 1 of 3" in texts(profile)
        nudged = await tap(host[-1], "Nudge Ani")
        assert "on its way" in texts(nudged)
        await dispatcher.run_until_idle()
        assert texts(ani_tg.messages) == "Shall we continue Hosting basics, Ani?"

        mei = await say("/cohort MEI")
        for code, report in (("HOST", host), ("MEI", mei)):
            assert story.report_figures(texts(report)) == await story.figures(
                database, code, story.idle_since(clock)), code
