"""The coach's story on the console: the coach console is the coaches' chat. A webinar and a
broadcast go to one pack's partners in a two-pack deployment, partners answer, a question
becomes a ticket, the coach answers, opens a stalled partner and nudges them, and every
figure the coach reads matches the database."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from handlers.kit.context import CONSOLE_COACH_CHAT
from scheduler.dispatcher import Dispatcher
from tests.e2e import story
from tests.fixtures.chat import Chat
from tests.scheduler.fakes import RecordingChannel

pytestmark = pytest.mark.e2e


async def test_a_coach_runs_a_cohort_from_the_console(
        database: Database, clock: FixedClock, settings: Settings) -> None:
    bot = CoachBot(database, story.mixed_library(), settings.model_copy(update={
        "admin_ids": [f"console:{CONSOLE_COACH_CHAT}"],
        "report_stalled_days": story.STALLED_DAYS}),
        clock=clock)
    sent = RecordingChannel(name="console")
    dispatcher = Dispatcher(database, {"console": sent}, clock, rate=None, chat_interval=0)
    coach = Chat(bot, user=CONSOLE_COACH_CHAT, display_name="Rina", language_hint="en")
    await coach.send("/language en")
    await story.cohorts(database, clock)
    sari, budi, ani = (Chat(bot, user=u) for u in ("sari", "budi", "ani"))
    await story.join(sari, "MEI", "Sari")
    await story.join(budi, "MEI", "Budi")
    await story.join(ani, "HOST", "Ani")
    await budi.press("Program basics")
    await ani.press("Hosting basics")

    # the webinar, for the Mei cohort
    await coach.send("/webinar")
    await coach.send("Live selling 101")
    await coach.send("05/11/2026 19:00")
    await coach.send("https://zoom.us/j/123")
    await coach.press("Skip")
    await coach.press("Skip")
    await coach.press("One cohort")
    await coach.press("Batch Mei")
    assert "(2 partners)" in coach.text and "2 in Batch Mei · Example pack" in coach.text
    await coach.press("Announce")
    assert "announced to 2 partners" in coach.text

    # a broadcast to who has not finished Program basics: never the host pack's partners
    await coach.send("/broadcast")
    await coach.press("Not finished")
    await coach.press("Program basics")
    await coach.send("Jangan lupa webinar Kamis ya!")
    assert "2 partners" in coach.text and "Hosts Juni" not in coach.text
    await coach.press("Send now")
    await dispatcher.run_until_idle()
    assert await story.sent_to(database, "wa:") == {"sari", "budi"}
    assert await story.sent_to(database, "bc:") == {"sari", "budi"}
    assert sent.texts("ani") == []

    # partners answer the invitation
    def rsvp_button(chat_id: str, mark: str) -> str:
        return next(b.payload for c, r in sent.sent if c == chat_id
                    for b in r.flat_buttons if b.label.startswith(mark))

    await sari.press_payload(rsvp_button("sari", "✅"))
    assert "you're on the list" in sari.text
    await budi.press_payload(rsvp_button("budi", "🙅"))
    await coach.send("/webinars")
    answers = await story.rsvps(database)
    assert answers == {"yes": 1, "no": 1}
    assert f"{answers['yes']} attending" in coach.text

    # Budi's question becomes a ticket; the coach answers it
    await budi.send("/coach how do I get my referral link?")
    await dispatcher.run_until_idle()
    assert any("how do I get my referral link?" in t for t in sent.texts(CONSOLE_COACH_CHAT))
    await coach.send("/reply 1 Open the app, then tap Share.")
    await dispatcher.run_until_idle()
    assert any(t.startswith("💬 *Coach Rina* replied") for t in sent.texts("budi"))

    # days later: Sari is back, Budi and Ani stalled
    clock.advance(days=4)
    await sari.send("/menu")
    await coach.send("/cohort HOST")
    assert "• Ani — stopped at Hosting basics 1/3 · 4 days" in coach.text
    host_report = coach.text
    await coach.send("/partner Ani")
    assert "*Ani* (console:ani)" in coach.text and "step 1 of 3" in coach.text
    await coach.send("/cohort HOST")
    await coach.press("Nudge Ani")
    assert "on its way" in coach.text
    await dispatcher.run_until_idle()
    assert sent.texts("ani") == ["Shall we continue Hosting basics, Ani?"]

    # every figure the coach reads is the database's
    for code, text in (("HOST", host_report), ("MEI", None)):
        if text is None:
            await coach.send(f"/cohort {code}")
            text = coach.text
        assert story.report_figures(text) == await story.figures(
            database, code, story.idle_since(clock)), code
    await coach.send("/broadcasts")
    assert "2/2" in coach.text, coach.text
