"""Progress is kept after every step, across restarts, language switches and /menu."""

from __future__ import annotations

from pathlib import Path

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary
from tests.fixtures.chat import Chat


async def test_partner_resumes_exactly_where_they_were_after_a_restart(
        tmp_path: Path, library: PackLibrary, settings: Settings) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.sqlite3'}"
    db = Database(url)
    await db.migrate()
    chat = Chat(CoachBot(db, library, settings, clock=FixedClock()), user="budi")
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    assert "Why did you join" in chat.text
    await db.dispose()

    db2 = Database(url)  # a new process: new engine on the same file
    await db2.migrate()
    chat2 = Chat(CoachBot(db2, library, settings, clock=FixedClock()), user="budi")
    await chat2.send("/start")
    assert "Welcome back" in chat2.text and "Why did you join" in chat2.text
    await chat2.send("/menu")
    assert "▶️" in chat2.text
    await chat2.press("Program basics")
    assert "Picking up from your last step" in chat2.text and "step 2/3" in chat2.text
    await db2.dispose()


async def test_menu_progress_help_and_language_work_mid_module(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.send("/help")
    assert "/menu" in chat.text and "/progress" in chat.text and "/language" in chat.text
    await chat.send("/progress")
    assert "0/2 modules finished" in chat.text and "3.0/5" in chat.text
    await chat.send("/language")
    await chat.press("Bahasa Indonesia")
    assert "Bahasa Indonesia" in chat.text and "langkah 1/3" in chat.text
    await chat.send("/bahasa en")
    assert "step 1/3" in chat.text
    await chat.send("/menu")
    assert "Your modules" in chat.text and "▶️" in chat.text


async def test_back_goes_to_the_previous_step(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.press("Back")
    assert "step 1/3" in chat.text


def letter_of(option: str, question: str) -> str:
    """The letter the question shows before an option (the order changes per attempt)."""
    return next(line[0] for line in question.splitlines() if line.endswith(f". {option}"))


async def test_typed_letter_answers_a_check_and_a_quiz(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.press("Skip")
    await chat.send("b")
    assert "Not quite" in chat.text
    await chat.press("Try again")
    await chat.send("A")
    assert "right" in chat.text
    await chat.press("Next")
    await chat.press("Module quiz")
    await chat.send(letter_of("Bookings", chat.text).lower())
    await chat.send(str("ABCDEF".index(letter_of("The coach", chat.text)) + 1))
    assert "2/2 (100%)" in chat.text


async def test_leaving_a_quiz_and_coming_back_continues_the_same_attempt(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.press("Skip")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Module quiz")
    await chat.press("Bookings")
    await chat.send("/menu")
    await chat.send("/progress")
    await chat.send("/menu")
    await chat.press("Program basics")  # reviewing a finished module starts it from the top
    assert "step 1/3" in chat.text
    await chat.send("/start")
    await chat.send("/menu")
    quiz_payload = "q1:start:basics"
    await chat.press_payload(quiz_payload)
    assert "Let's continue" in chat.text and "Question 2/2" in chat.text


async def test_final_quiz_is_locked_until_every_module_is_done(chat: Chat) -> None:
    await chat.onboard()
    await chat.press_payload("q1:start:final")
    assert "opens once every module is finished" in chat.text


async def test_second_module_needs_the_first(chat: Chat) -> None:
    await chat.onboard()
    await chat.press("Promotion")
    assert "opens after you finish: Program basics" in chat.text


async def test_admins_from_configuration_get_the_admin_role(
        database: Database, library: PackLibrary) -> None:
    settings = Settings(_env_file=None, default_pack="example",  # type: ignore[call-arg]
                        admin_ids=["console:boss"])
    chat = Chat(CoachBot(database, library, settings, clock=FixedClock()), user="boss")
    await chat.send("/start")
    async with database.transaction() as s:
        from bot.storage.repos import PartnerRepo

        boss = await PartnerRepo(s).get("console", "boss")
    assert boss is not None and boss.role == "admin"


async def test_help_shows_coach_commands_to_coaches_only(
        database: Database, library: PackLibrary) -> None:
    settings = Settings(_env_file=None, default_pack="example",  # type: ignore[call-arg]
                        admin_ids=["console:boss"])
    bot = CoachBot(database, library, settings, clock=FixedClock())
    boss, partner = Chat(bot, user="boss"), Chat(bot, user="sari")
    await boss.send("/bahasa en")
    await boss.send("/help")
    assert "For coaches:" in boss.text and "/broadcast" in boss.text and "/reply" in boss.text
    await partner.onboard()
    await partner.send("/help")
    assert "/menu" in partner.text
    assert "For coaches" not in partner.text and "/broadcast" not in partner.text
