"""Coaches grow the FAQ: a partner's question the FAQ could not answer goes to a coach, the
coach answers and adds it to the FAQ, and the next partner who asks the same thing in other
words gets that answer from the bot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app
from bot.config import Settings
from bot.core import FixedClock, reply_from_dict
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from content.loader import PackLibrary
from handlers.faq.models import FaqTaught
from tests.fixtures.chat import Chat

ROOT = Path(__file__).parents[2]
QRIS = "Yes, QRIS works at every partner store; show the code at the till."


async def answer_sent_to(bot: CoachBot, user: str) -> str:
    async with bot.db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == user, OutboxMessage.kind == "ticket_answer"))).scalars()
        return "\n".join(reply_from_dict(r.payload).text for r in rows)


async def sari_asks_and_a_coach_answers(sari: Chat, coach: Chat, bot: CoachBot) -> None:
    await sari.onboard(name="Sari")
    await sari.send("can customers pay with QRIS?")
    assert "QRIS" not in sari.text  # the FAQ has nothing on it yet
    await sari.press("Ask a coach")
    await coach.send(f"/reply 1 {QRIS}")
    assert QRIS in await answer_sent_to(bot, "sari")
    assert "➕ Masukkan ke FAQ" in coach.labels


@pytest.fixture
def shipped_bot(database: Database, settings: Settings, clock: FixedClock) -> CoachBot:
    """The bot on the shipped partner-onboarding pack, its real 58-entry FAQ."""
    library = PackLibrary.load([ROOT / "content" / "packs" / "mitra-onboarding"])
    return CoachBot(database, library,
                    settings.model_copy(update={"default_pack": "mitra-onboarding"}),
                    clock=clock)


async def test_a_coach_adds_an_answered_ticket_and_the_next_partner_gets_the_answer(
        shipped_bot: CoachBot) -> None:
    bot = shipped_bot
    chat, coach = Chat(bot, user="sari"), Chat(bot, user="coaches", display_name="Dewi")
    await sari_asks_and_a_coach_answers(chat, coach, bot)
    await coach.press("Masukkan ke FAQ")
    assert "can customers pay with QRIS?" in coach.text and QRIS in coach.text
    await coach.press("Entri baru")
    assert "Tiket #1 sekarang entri FAQ *ticket-1*" in coach.text

    budi = Chat(bot, user="budi")
    await budi.onboard(name="Budi")
    await budi.send("bisa bayar pakai qris?")
    assert budi.text.startswith(QRIS)
    assert "Did this help?" in budi.text

    await coach.press_payload(coach.button("Entri baru", coach.history[-2:]).payload)
    assert "sudah masuk FAQ sebagai *ticket-1*" in coach.text


async def test_a_ticket_question_filed_as_another_wording_of_an_entry(
        chat: Chat, coach: Chat, bot: CoachBot) -> None:
    await chat.onboard(name="Sari")
    await chat.send("/coach my payout hasn't arrived, when does it come?")
    await coach.send("/reply 1 Commission is paid monthly, so it comes with next month's.")
    await coach.send("/faqadd 1 payout")
    assert "kalimat lain untuk *payout*" in coach.text
    async with bot.db.transaction() as s:
        [row] = (await s.execute(select(FaqTaught))).scalars()
    assert (row.entry_id, row.answer_id, row.answer_en) == ("payout", None, None)
    assert row.question == "my payout hasn't arrived, when does it come?"

    budi = Chat(bot, user="budi")
    await budi.onboard(name="Budi")
    await budi.send("my payout hasn't arrived, when does it come?")
    assert budi.text.startswith("Commission is paid monthly.")


async def test_a_ticket_without_an_answer_or_a_wrong_entry_is_refused_kindly(
        chat: Chat, coach: Chat, bot: CoachBot) -> None:
    await chat.onboard(name="Sari")
    await chat.send("/coach can customers pay with QRIS?")
    await coach.send("/faqadd 1")
    assert "belum punya pertanyaan dan jawaban coach" in coach.text
    await coach.send(f"/reply 1 {QRIS}")
    await coach.send("/faqadd 1 no-such-entry")
    assert "Entri FAQ *no-such-entry* tidak ada" in coach.text
    await coach.send("/faqadd 99")
    assert "Tiket #99 tidak ada." in coach.text
    await coach.send("/faqadd banana")
    assert "Cara memakai: /faqadd" in coach.text


async def test_partners_cannot_teach_the_faq(chat: Chat, coach: Chat, bot: CoachBot) -> None:
    await sari_asks_and_a_coach_answers(chat, coach, bot)
    await chat.send("/faqadd 1")
    assert "coach" in chat.text.lower() and "now FAQ entry" not in chat.text
    async with bot.db.transaction() as s:
        assert list((await s.execute(select(FaqTaught))).scalars()) == []


def test_coachbot_faq_add_files_a_ticket_and_a_written_entry(env: Path) -> None:
    runner = CliRunner()
    partner = runner.invoke(app, ["chat", "--user", "rina"],
                            input="/start\n#2\nRina\n#3\n#1\n#4\n#5\n"
                                  "/coach bisa bayar pakai qris ga?\n")
    assert "ticket #1" in partner.output, partner.output
    runner.invoke(app, ["chat", "--coach", "--name", "Dewi"],
                  input="/reply 1 Bisa, QRIS diterima di semua toko mitra.\n")
    result = runner.invoke(app, ["faq", "add", "--ticket", "1", "--by", "Dewi"])
    assert result.exit_code == 0, result.output
    assert "example: new entry ticket-1: 'bisa bayar pakai qris ga?'" in result.output
    assert "the engine now: ticket-1" in result.output

    again = runner.invoke(app, ["faq", "add", "--ticket", "1"])
    assert again.exit_code == 2 and "already in the FAQ as *ticket-1*" in again.output

    wording = runner.invoke(app, ["faq", "add", "--question", "komisi kok belum masuk",
                                  "--entry", "payout"])
    assert wording.exit_code == 0, wording.output
    assert "another wording of payout" in wording.output

    written = runner.invoke(app, ["faq", "add", "--question", "ada seragam mitra?",
                                  "--answer", "Ada, kaos mitra dibagikan saat pelatihan.",
                                  "--answer-en", "Yes, partner T-shirts come at training.",
                                  "--id", "uniform"])
    assert written.exit_code == 0, written.output
    assert "new entry uniform" in written.output

    bad = runner.invoke(app, ["faq", "add", "--question", "x", "--answer", "y",
                              "--id", "Bad Id!"])
    assert bad.exit_code == 2 and "can't go into the FAQ" in bad.output

    budi = runner.invoke(app, ["chat", "--user", "budi"],
                         input="/start\n#2\nBudi\n#3\n#1\n#4\n#5\nqris bisa dipakai bayar?\n")
    answered = budi.output[budi.output.rindex("qris bisa dipakai bayar?"):]
    assert "QRIS diterima di semua toko mitra" in answered, budi.output
