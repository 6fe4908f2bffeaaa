"""One partner, several channels (issue 17): Sari starts on Telegram, joins her WhatsApp with
/link, and her progress, tickets and the coach's answers follow her there."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.app import CoachBot
from bot.core import FixedClock, reply_from_dict
from bot.storage.models import OutboxMessage, Partner, PartnerIdentity
from tests.fixtures.chat import Chat

TG, WA = "telegram", "whatsapp"
SARI_TG, SARI_WA = "5550001", "6281234567890"


def _code(text: str) -> str:
    found = re.search(r"/link ([A-Z0-9]{6})", text)
    assert found, text
    return found.group(1)


async def _finish_basics(chat: Chat) -> None:
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.press("Skip")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Module quiz")
    await chat.press("Bookings")
    await chat.press("The coach")


async def _outbox(bot: CoachBot, kind: str) -> list[OutboxMessage]:
    async with bot.db.transaction() as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                     .order_by(OutboxMessage.id))).scalars())


async def test_sari_links_whatsapp_and_her_progress_and_coach_follow_her(
        bot: CoachBot, coach: Chat, clock: FixedClock) -> None:
    tg = Chat(bot, user=SARI_TG, channel=TG)
    wa = Chat(bot, user=SARI_WA, channel=WA)
    await tg.onboard(name="Sari")
    await _finish_basics(tg)
    await tg.send("/progress")
    assert "1/2 modules finished" in tg.text

    await tg.send("/link")
    assert "15 minutes" in tg.text
    code = _code(tg.text)
    await wa.send(f"/link {code.lower()}")  # typed on the phone in lower case
    assert "Linked, Sari!" in wa.text
    await wa.send("/progress")
    assert "1/2 modules finished" in wa.text

    async with bot.db.transaction() as s:
        partners = list((await s.execute(select(Partner))).scalars())
        ids = {(i.channel, i.user_id): i.partner_id
               for i in (await s.execute(select(PartnerIdentity))).scalars()}
    sari = [p for p in partners if p.name == "Sari"]
    assert len(sari) == 1 and (sari[0].channel, sari[0].chat_id) == (WA, SARI_WA)
    assert ids == {(TG, SARI_TG): sari[0].id, (WA, SARI_WA): sari[0].id}

    await wa.send("/coach")
    assert "ticket #1" in wa.text
    clock.advance(minutes=5)
    await coach.send("/reply 1 Halo Sari, lanjut ke modul Promosi ya!")
    assert "Terkirim ke Sari (tiket #1)" in coach.text
    [answer] = await _outbox(bot, "ticket_answer")
    assert (answer.channel, answer.chat_id, answer.partner_id) == (WA, SARI_WA, sari[0].id)
    assert "lanjut ke modul Promosi" in reply_from_dict(answer.payload).text

    # back on Telegram: the same partner, and the bot's own messages go there now
    await tg.send("/progress")
    assert "1/2 modules finished" in tg.text
    async with bot.db.transaction() as s:
        row = await s.get(Partner, sari[0].id)
        assert row is not None and (row.channel, row.chat_id) == (TG, SARI_TG)
        assert await s.scalar(select(func.count()).select_from(Partner)
                              .where(Partner.name == "Sari")) == 1


async def test_a_wrong_or_expired_code_gets_a_friendly_answer(
        bot: CoachBot, clock: FixedClock) -> None:
    tg = Chat(bot, user=SARI_TG, channel=TG)
    wa = Chat(bot, user=SARI_WA, channel=WA)
    await tg.onboard(name="Sari")
    await wa.send("/link ZZZZZZ")
    assert "don't know that code or it has expired" in wa.text \
        or "tidak kukenal atau sudah kedaluwarsa" in wa.text

    await tg.send("/link")
    code = _code(tg.text)
    await tg.send(f"/link {code}")
    assert "made on this account" in tg.text
    clock.advance(minutes=16)
    await wa.send(f"/link {code}")
    assert "tidak kukenal atau sudah kedaluwarsa" in wa.text
    async with bot.db.transaction() as s:  # nothing joined: WhatsApp is someone new
        assert await s.scalar(select(func.count()).select_from(PartnerIdentity)) == 0
        assert await s.scalar(select(func.count()).select_from(Partner)) == 2


async def test_an_account_with_its_own_progress_is_not_overwritten(bot: CoachBot) -> None:
    tg = Chat(bot, user=SARI_TG, channel=TG)
    wa = Chat(bot, user=SARI_WA, channel=WA)
    await tg.onboard(name="Sari")
    await wa.onboard(name="Sari WA")
    await tg.send("/link")
    await wa.send(f"/link {_code(tg.text)}")
    assert "already has its own progress" in wa.text
    async with bot.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(PartnerIdentity)) == 0
