"""A partner on WhatsApp hands a question to a coach, who answers from the coaches' chat (the
console here): the answer reaches her on WhatsApp, and after a quiet day it waits for her."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.core import FixedClock
from scheduler.dispatcher import Dispatcher
from tests.fakes.graph_api import FakeGraphAPI, FakeUser
from tests.fixtures.chat import Chat

pytestmark = pytest.mark.e2e


def texts(user: FakeUser) -> str:
    return "\n".join(m.text for m in user.received())


async def onboard(sari: FakeUser) -> None:
    hello = await sari.say("/start")
    await sari.tap(hello, "English")
    rating = await sari.tap(await sari.tap(await sari.say("Sari"), "🎓"), "WITA")
    await sari.tap(await sari.tap(rating, "2"), "3")


async def test_a_coachs_answer_reaches_the_partner_on_whatsapp(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI,
        clock: FixedClock) -> None:
    sari = graph.user("6281200000021", "Sari")
    coach = Chat(bot, user="coaches", display_name="Dewi")
    dispatcher = Dispatcher(bot.db, {"whatsapp": whatsapp.channel}, clock, rate=None,
                            chat_interval=0)
    await onboard(sari)
    offer = await sari.say("can I promote on two platforms at once?")
    handed = await sari.tap(offer, "Ask a coach")
    assert "passed your question to a coach (ticket #1)" in "\n".join(m.text for m in handed)

    clock.advance(minutes=14)
    await coach.send("/reply 1 Yes! Start with one, then add the second.")
    await dispatcher.run_until_idle()
    assert "Start with one" in sari.received()[-1].text
    solved = await sari.tap([sari.received()[-1]], "Solved")
    assert "closed ticket #1" in "\n".join(m.text for m in solved)

    offer = await sari.say("how do I change my bank account?")
    await sari.tap(offer, "Ask a coach")
    clock.advance(hours=30)  # the coach answers the next day: the window has closed
    await coach.send("/reply 2 Open Settings, then Bank account.")
    before = len(sari.received())
    await dispatcher.run_until_idle()
    assert len(sari.received()) == before, "no free-form message outside the window"
    await sari.say("halo?")
    await dispatcher.run_until_idle()
    assert "Bank account" in texts(sari)
    assert graph.refused == []
