"""A coach opens one partner (/partner): where Sari is, what she wrote, how her quiz went,
her ratings, tickets and nudges; then writes to her or opens a ticket for her."""

from __future__ import annotations

from bot.app import CoachBot
from bot.storage.db import Database
from bot.storage.repos import Repos
from handlers.coaches.profile import ProfileRepo, gather
from handlers.tickets.repo import TicketRepo
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded, outbox


async def sari_reflects_and_fails_the_quiz(bot: CoachBot) -> Chat:
    sari = await onboarded(bot, "sari", "Sari", ratings=2)
    await sari.press("Program basics")
    await sari.press("Next")
    await sari.send("I want extra income for my studies")
    await sari.press("Completed bookings")
    await sari.press("Next")
    await sari.press("Module quiz")
    await sari.press("Likes")
    await sari.press("The coach")
    await sari.press("Retake")
    await sari.press("Likes")
    await sari.press("Nobody")
    return sari


async def test_the_profile_holds_what_sari_wrote_and_how_her_quizzes_went(
        bot: CoachBot, database: Database) -> None:
    await sari_reflects_and_fails_the_quiz(bot)
    async with database.transaction() as s:
        repos = Repos(s)
        [sari] = await repos.get(ProfileRepo).find("sar")
        profile = await gather(repos, bot.library, sari, "en")
    [reflection] = profile.reflections
    assert reflection.prompt == "Why did you join this program?"
    assert reflection.answer == "I want extra income for my studies"
    first, second = profile.quizzes
    assert (first.score, first.total, first.passed) == (1, 2, True)
    assert first.missed == ("Commission comes from?",)
    assert (second.score, second.passed) == (0, False)
    assert second.missed == ("Commission comes from?", "Help comes from?")
    assert [(r.statement_id, r.before, r.after) for r in profile.ratings] == [
        ("program", 2, None), ("ready", 2, None)]
    assert profile.modules_done == 1 and profile.modules_total == 2
    assert profile.reachable and profile.tickets == ()


async def test_a_coach_reads_sari_in_chat_and_writes_to_her(
        bot: CoachBot, coach: Chat, database: Database) -> None:
    await sari_reflects_and_fails_the_quiz(bot)
    await coach.send("/partner Sari")
    assert "*Sari* (console:sari)" in coach.text
    assert "Why did you join this program?" in coach.text
    assert "I want extra income for my studies" in coach.text
    assert "Program basics: 0/2 ❌ — missed: Commission comes from?, Help comes from?" in (
        coach.text)
    assert "Where: at the menu · 1/2 modules finished" in coach.text
    assert "2 → –" in coach.text

    await coach.press("Message")
    await coach.send("Hi Sari, want to go over the quiz together?")
    assert "on its way" in coach.text
    [row] = await outbox(database, "coach_message:")
    assert row.payload["text"] == ("💬 Coach Rina wrote to you:\n"
                                   "Hi Sari, want to go over the quiz together?")


async def test_a_coach_opens_a_ticket_for_sari_and_her_answer_reaches_the_coaches(
        bot: CoachBot, coach: Chat, database: Database) -> None:
    sari = await sari_reflects_and_fails_the_quiz(bot)
    await coach.send("/partner sari")
    await coach.press("Open a ticket")
    assert "Ticket #1 for Sari is open" in coach.text
    await coach.send("/reply 1 How can I help with the quiz?")
    await sari.send("I don't get the commission part")
    async with database.transaction() as s:
        messages = await Repos(s).get(TicketRepo).messages(1)
    assert [m.author for m in messages] == ["coach", "partner"]
    assert messages[-1].text == "I don't get the commission part"


async def test_two_matches_are_offered_and_partners_cannot_look(
        bot: CoachBot, coach: Chat) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await onboarded(bot, "sarah", "Sarah")
    await coach.send("/partner sar")
    assert "2 partners match" in coach.text
    await coach.press("Sarah")
    assert "*Sarah* (console:sarah)" in coach.text
    await coach.send("/partner nobody-like-this")
    assert "No partner matches" in coach.text
    await sari.send("/partner Sarah")
    assert "Sarah" not in sari.text
