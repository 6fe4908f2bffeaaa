"""A partner on WhatsApp, coaches in their Telegram group: every hand-off about her (her
question, a ticket a coach opens for her) is addressed to the group on Telegram, never to the
group's id on WhatsApp, where it would reach nobody."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.config import Settings
from bot.core import reply_from_dict
from bot.storage.models import OutboxMessage
from tests.conftest import EXAMPLE_PACKS
from tests.fakes.graph_api import FakeGraphAPI, FakeUser
from tests.fixtures.chat import Chat

pytestmark = pytest.mark.e2e

GROUP = "-1001234567"


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",  # type: ignore[call-arg]
                    packs_dir=EXAMPLE_PACKS, default_pack="example", coach_chat_id=GROUP,
                    digest_channel="telegram", admin_ids=["console:admin-1"])


async def onboard(sari: FakeUser) -> None:
    hello = await sari.say("/start")
    await sari.tap(hello, "English")
    rating = await sari.tap(await sari.tap(await sari.say("Sari"), "🎓"), "WITA")
    await sari.tap(await sari.tap(rating, "2"), "3")


async def to_the_group(bot: CoachBot) -> list[tuple[str, str, str]]:
    async with bot.db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == GROUP).order_by(OutboxMessage.id))).scalars().all()
        return [(r.channel, r.kind, reply_from_dict(r.payload).text) for r in rows]


async def test_a_whatsapp_partners_question_reaches_the_coaches_group_on_telegram(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    sari = graph.user("6281200000031", "Sari")
    await onboard(sari)
    offer = await sari.say("can I promote on two platforms at once?")
    await sari.tap(offer, "Ask a coach")

    sent = await to_the_group(bot)
    assert sent, "the question was handed to the coaches"
    assert {channel for channel, _, _ in sent} == {"telegram"}
    assert any("two platforms" in text for _, _, text in sent)


async def test_a_ticket_a_coach_opens_for_a_whatsapp_partner_is_announced_on_telegram(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    sari = graph.user("6281200000032", "Sari")
    await onboard(sari)
    await Chat(bot, user="admin-1", language_hint="en").send("/addcoach coach-1 Dewi")
    dewi = Chat(bot, user="coach-1", language_hint="en")
    await dewi.send("/language en")
    await dewi.send("/partner Sari")
    await dewi.press("Open a ticket")
    assert "Ticket #1 for Sari is open" in dewi.text

    sent = await to_the_group(bot)
    assert [kind for _, kind, _ in sent] == ["ticket"]
    assert {channel for channel, _, _ in sent} == {"telegram"}
