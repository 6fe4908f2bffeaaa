"""The coaches see missions done, late and waiting for review in the cohort report, with
the targets reached; the digest counts the proof waiting; a partner sees what is stored."""

from __future__ import annotations

from bot.app import CoachBot
from bot.core import FixedClock
from bot.core.feature import ReportGroup
from bot.storage.db import Database
from bot.storage.repos import Repos
from handlers.missions import overview
from scheduler.scope import Scope
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion


async def test_report_digest_and_my_data(chat: Chat, coach: Chat, bot: CoachBot,
                                         database: Database, clock: FixedClock) -> None:
    await finish_promotion(chat)  # Sari (partner 1)
    budi = Chat(bot, user="budi")
    await finish_promotion(budi, name="Budi")
    await chat.send("/missions")
    await chat.press("3 sales")
    await chat.press("Send proof")
    await chat.send("12")
    await coach.send("/review")
    await coach.press("Setujui")
    await chat.send("/missions")
    await chat.press("First video")
    await chat.press("Send proof")
    await chat.send("https://video.example/v/1")
    clock.advance(days=8)  # past "First video"'s deadline: Budi sent nothing

    async with database.transaction() as s:
        scope = Scope(Repos(s), bot.library, bot.settings, clock.now())
        sections = await overview.report(scope, [ReportGroup("all", "example", (1, 2))], "en")
        digest = await overview.digest(scope, "en")
    [section] = sections["all"]
    assert section.title == "Practice missions"
    assert section.lines == [
        "• First video: 0 done, 1 waiting for review, 1 late",
        "• 3 sales: 1 done, 0 waiting for review, 0 late (🏆 target reached: 1)"]
    assert {(r.metric, r.item, r.value) for r in section.rows} >= {
        ("mission_late", "first-video", "1"), ("mission_target_met", "sales", "1")}
    assert digest == ["📥 Mission proof waiting for review: 1 (/review)"]

    await chat.send("/mydata")
    assert "Missions: 2 proofs sent, 0 notes on what got in the way" in chat.text
