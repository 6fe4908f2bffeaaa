"""The coach sees who is ready and who is stuck, and nudges the stuck ones."""

from __future__ import annotations

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.repos import CohortRepo, Repos
from handlers.registry import FEATURES
from handlers.reports import report
from scheduler.scope import Scope
from tests.broadcasts.test_broadcasts import finish_basics, take_basics_quiz
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import outbox


async def join(bot: CoachBot, user: str, name: str, code: str) -> Chat:
    chat = Chat(bot, user=user)
    await chat.send(f"/start {code}")
    await chat.press("English")
    await chat.send(name)
    await chat.press("🎓")
    await chat.press("WIB")
    await chat.press("2")
    await chat.press("4")
    return chat


async def test_the_cohort_report_counts_progress_quizzes_and_readiness(
        coach: Chat, bot: CoachBot, database: Database, clock: FixedClock) -> None:
    async with database.transaction() as s:
        await CohortRepo(s).create("Batch 1", "example", clock.now(), "batch1")
    sari = await join(bot, "sari", "Sari", "batch1")
    await finish_basics(sari)
    await take_basics_quiz(sari, good=True)
    budi = await join(bot, "budi", "Budi", "batch1")
    await finish_basics(budi)
    await take_basics_quiz(budi, good=False)
    ani = Chat(bot, user="ani")
    await ani.send("/start batch1")  # never finished onboarding

    await coach.send("/cohort batch1")
    text = coach.text
    assert "*Batch 1* (batch1) — 3 partners" in text
    assert "Onboarding finished: 2/3 (67%)" in text
    assert "Program basics: 2/3 (67%)" in text and "Promotion: 0/3 (0%)" in text
    assert "Basics quiz: 1/2 passed (50%)" in text
    assert "I understand how the program works.: 2.0 → –" in text
    assert "Nobody has been idle" in text

    clock.advance(days=4)
    await sari.send("/menu")
    await coach.send("/cohort")
    assert "*Stalled* (2, no activity for more than 3 days)" in coach.text
    assert sorted(coach.labels) == ["👋 Nudge Budi", "👋 Nudge ani", "👤 Budi", "👤 ani"]


async def test_nudging_a_stalled_partner_queues_one_message_a_day(
        coach: Chat, bot: CoachBot, database: Database, clock: FixedClock) -> None:
    budi = await join(bot, "budi", "Budi", "none")
    await budi.press("Program basics")
    clock.advance(days=5)
    await coach.send("/cohort")
    assert "• Budi — stopped at Program basics 1/3 · 5 days · /partner #" in coach.text
    await coach.press("👤 Budi")
    assert "*Budi* (console:budi)" in coach.text and "step 1 of 3" in coach.text
    await coach.send("/cohort")
    nudge = coach.button("Nudge Budi")
    await coach.press_payload(nudge.payload)
    assert "on its way" in coach.text
    rows = await outbox(database, "cn:")
    assert [r.chat_id for r in rows] == ["budi"]
    assert rows[0].payload["text"] == "Shall we continue Program basics, Budi?"
    await coach.press_payload(nudge.payload)
    assert "already nudged today" in coach.text
    await budi.send("/menu")
    await coach.press_payload(nudge.payload)
    assert "active again" in coach.text
    await coach.press_payload("cn1:999")
    assert "couldn't find that partner" in coach.text


async def test_an_unknown_cohort_is_named(coach: Chat) -> None:
    await coach.send("/cohort nope")
    assert 'no cohort with the code "nope"' in coach.text


async def test_the_report_as_csv_has_one_row_per_metric(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    sari = await join(bot, "sari", "Sari", "none")
    await finish_basics(sari)
    async with database.transaction() as s:
        reports = await report.build(Scope(Repos(s), bot.library, bot.settings, clock.now(),
                                           FEATURES), stalled_days=3, lang="en")
    assert reports is not None
    lines = report.to_csv(reports).splitlines()
    assert lines[0] == "cohort,metric,item,value,value_after,count"
    assert "-,partners,,1,," in lines
    assert "-,module_finished,basics,1,," in lines
    assert "-,readiness_before_after,program,2.00,,1/0" in lines
