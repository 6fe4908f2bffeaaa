"""A roster names WhatsApp partners by their phone number, written as people write it."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import KNOWN_CHANNELS
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import WhatsAppChat
from bot.storage.repos import Repos
from handlers.coaches import roster

HEADER = "channel,external_id,chat_id,name,language,timezone,cohort\n"


def test_phone_numbers_in_any_usual_spelling_become_the_whatsapp_account() -> None:
    text = (HEADER
            + "whatsapp,+62 812-3456-7890,,Sari,id,WITA,batch1\n"
            + "whatsapp,0813 1111 2222,,Budi,id,WIB,batch1\n"
            + "whatsapp,(0821) 333.444.55,,Ani,id,WIB,batch1\n"
            + "whatsapp,hubungi saya,,Dewi,id,WIB,batch1\n"
            + "whatsapp,+62 812 3456 7890,,Sari lagi,id,WIB,batch1\n")
    rows, errors = roster.parse(text, KNOWN_CHANNELS)
    assert [(r.external_id, r.chat_id) for r in rows] == [
        ("6281234567890", "6281234567890"), ("6281311112222", "6281311112222"),
        ("6282133344455", "6282133344455")]
    problems = dict(errors)
    assert "'hubungi saya' is not a WhatsApp phone number" in problems[5]
    assert "same partner as line 2" in problems[6], "one person, however it is written"


def test_phone_number_rules() -> None:
    assert roster.phone_number("0062 811 000 111") == "62811000111"
    assert roster.phone_number("12345") is None


async def test_a_roster_row_with_consent_records_it_for_the_whatsapp_number(
        database: Database, clock: FixedClock) -> None:
    text = ("channel,external_id,chat_id,name,language,timezone,cohort,consent\n"
            "whatsapp,0812 3456 7890,,Sari,id,WITA,,ya\n"
            "whatsapp,0813 1111 2222,,Budi,id,WIB,,\n")
    async with database.transaction() as s:
        result = await roster.import_text(Repos(s), text, pack_id="example", now=clock.now(),
                                          channels=KNOWN_CHANNELS)
    assert result.created == 2
    async with database.transaction() as s:
        consent = dict((await s.execute(select(WhatsAppChat.wa_id, WhatsAppChat.opt_in))).all())
    assert consent == {"6281234567890": "roster"}, "only the row that said yes"
