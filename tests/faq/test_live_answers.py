"""Asked about webinars, the bot answers from the webinars actually scheduled: none, or the
next ones with a button to join, never a written "yes" while nothing is planned."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary, discover_packs
from handlers.kit.feature import live_answer
from handlers.registry import FEATURES
from handlers.webinars.service import Webinars
from tests.conftest import EXAMPLE_PACKS
from tests.fixtures.chat import Chat

ROOT = Path(__file__).parents[2]
WEBINAR_ENTRY = """
  - id: webinars
    answer_from: next_webinars
    questions:
      id: ["ada webinar minggu ini?", "jadwal webinar kapan"]
      en: ["is there a webinar this week?", "when is the next webinar"]
    answer:
      id: "Webinar membahas promosi dan konten."
      en: "Webinars cover promotion and content."
"""
MINE = """
  - id: my-question
    answer_from: my_ticket
    questions:
      id: ["pertanyaanku ke coach sudah dijawab belum", "status pertanyaan ke coach"]
      en: ["has the coach answered my question", "status of my question to the coach"]
    answer:
      id: "Coach menjawab di jam kerja."
      en: "Coaches answer during working hours."
  - id: my-progress
    answer_from: my_progress
    questions:
      id: ["sudah sampai mana belajarku", "progres belajarku"]
      en: ["how far have I got in my learning", "my learning progress"]
    answer:
      id: "Ketik /progress kapan saja."
      en: "Type /progress any time."
"""


@pytest.fixture
def live_bot(database: Database, settings: Settings, clock: FixedClock,
             tmp_path: Path) -> CoachBot:
    pack = tmp_path / "example"
    shutil.copytree(EXAMPLE_PACKS / "example", pack)
    with (pack / "faq.yaml").open("a", encoding="utf-8") as fh:
        fh.write(WEBINAR_ENTRY + MINE)
    return CoachBot(database, PackLibrary.load([pack]), settings, clock=clock)


async def schedule(bot: CoachBot, clock: FixedClock, title: str, days: int) -> int:
    async with bot.db.transaction() as s:
        info, _ = await Webinars(s).create(
            bot.library, title=title, starts_at=clock.now() + timedelta(days=days),
            link="https://meet.example/live", description=None, followup=None,
            audience="all", timezone="Asia/Jakarta", created_by=None, now=clock.now())
        return info.id


async def test_no_webinar_scheduled_is_what_the_partner_hears(
        live_bot: CoachBot) -> None:
    sari = Chat(live_bot, user="sari")
    await sari.onboard(name="Sari")
    await sari.send("ada webinar ga minggu ini?")
    assert sari.text.startswith("There's no webinar scheduled for you right now")
    assert "send the invitation to this chat" in sari.text
    assert "Webinars cover promotion and content." in sari.text
    assert "Did this help?" in sari.text


async def test_the_next_webinars_come_with_a_button_to_join(
        live_bot: CoachBot, clock: FixedClock) -> None:
    sari = Chat(live_bot, user="sari")
    await sari.onboard(name="Sari")
    await schedule(live_bot, clock, "Live selling basics", days=3)
    cancelled = await schedule(live_bot, clock, "Old topic", days=2)
    async with live_bot.db.transaction() as s:
        await Webinars(s).cancel(live_bot.library, cancelled, clock.now())

    await sari.send("ada webinar ga minggu ini?")
    assert "Your next webinars:" in sari.text and "*Live selling basics*" in sari.text
    assert "Old topic" not in sari.text and "no webinar scheduled" not in sari.text
    await sari.press("Join: Live selling basics")
    assert "you're on the list for *Live selling basics*" in sari.text

    await sari.send("when is the next webinar")
    assert "you're signed up ✅" in sari.text
    assert not [b for b in sari.labels if b.startswith("✅ Join")]


async def test_a_partner_who_joined_after_the_announcement_can_still_sign_up(
        live_bot: CoachBot, clock: FixedClock) -> None:
    await schedule(live_bot, clock, "Live selling basics", days=3)
    budi = Chat(live_bot, user="budi")  # not there when the invitations went out
    await budi.onboard(name="Budi")
    await budi.send("jadwal webinar kapan")
    await budi.press("Join: Live selling basics")
    assert "you're on the list for *Live selling basics*" in budi.text


async def test_a_webinar_ended_no_longer_answers(live_bot: CoachBot,
                                                 clock: FixedClock) -> None:
    sari = Chat(live_bot, user="sari")
    await sari.onboard(name="Sari")
    await schedule(live_bot, clock, "Live selling basics", days=1)
    clock.advance(days=1, minutes=1)
    await sari.send("ada webinar ga minggu ini?")
    assert sari.text.startswith("There's no webinar scheduled for you right now")


def test_every_live_answer_a_shipped_pack_names_is_provided_by_a_feature() -> None:
    library = PackLibrary.load(discover_packs(ROOT / "content" / "packs"))
    named = {(p.id, e.id, e.answer_from) for p in library.packs.values() for e in p.faq
             if e.answer_from}
    assert {("mitra-onboarding", "webinars", "next_webinars"),
            ("affiliate-starter", "webinars", "next_webinars")} <= named
    assert all(live_answer(FEATURES, name) is not None for _, _, name in named)


def test_content_check_names_a_live_answer_no_feature_provides(tmp_path: Path) -> None:
    pack = tmp_path / "example"
    shutil.copytree(EXAMPLE_PACKS / "example", pack)
    with (pack / "faq.yaml").open("a", encoding="utf-8") as fh:
        fh.write(WEBINAR_ENTRY.replace("next_webinars", "next_concerts"))
    result = CliRunner().invoke(app, ["content", "check", str(pack)])
    assert result.exit_code == 1
    assert "faq.yaml: entries[2].answer_from: no feature provides 'next_concerts'" in (
        result.output)


async def test_asked_about_her_question_to_the_coach_she_hears_where_it_stands(
        live_bot: CoachBot) -> None:
    sari = Chat(live_bot, user="sari")
    coach = Chat(live_bot, user="coaches", display_name="Dewi")
    await sari.onboard(name="Sari")
    await sari.send("has the coach answered my question?")
    assert sari.text.startswith("You don't have a question with the coaches right now.")

    await sari.send("/coach can I sell outside my city?")
    await sari.send("/menu")  # the thread ends; her text goes to the FAQ again
    await sari.send("has the coach answered my question?")
    assert sari.text.startswith("🎫 Your question to the coaches (ticket #1) is still waiting")
    assert "can I sell outside my city?" in sari.text

    await coach.send("/reply 1 Yes, anywhere in Indonesia.")
    await sari.send("/menu")
    await sari.send("status of my question to the coach")
    assert "(ticket #1) was answered by Dewi:" in sari.text
    await sari.press("Solved")
    assert "closed ticket #1" in sari.text


async def test_asked_how_far_she_is_she_sees_her_progress(live_bot: CoachBot) -> None:
    sari = Chat(live_bot, user="sari")
    await sari.onboard(name="Sari")
    await sari.press("Program basics")
    await sari.send("/progress")
    progress = sari.text
    assert progress
    await sari.send("/menu")
    await sari.send("my learning progress")
    assert sari.text.startswith(progress)
    assert "Type /progress any time." in sari.text
