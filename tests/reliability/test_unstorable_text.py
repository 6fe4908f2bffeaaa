"""Text no database can store as typed (a NUL, a lone surrogate) still reaches the coach bot."""

from __future__ import annotations

from bot.app import FALLBACK_ERROR, CoachBot
from bot.core import Inbound
from bot.core.sanitize import storable
from bot.storage.repos import PartnerRepo
from tests.fixtures.chat import Chat


async def test_a_name_with_a_nul_and_a_lone_surrogate_is_kept_cleaned(chat: Chat,
                                                                       bot: CoachBot) -> None:
    await chat.send("/start")
    await chat.press("English")

    replies = await chat.send("Sa\x00ri\ud800")

    assert not [r for r in replies if r.text in FALLBACK_ERROR.values()]
    async with bot.db.transaction() as s:
        sari = await PartnerRepo(s).get("console", "sari")
    assert sari is not None and sari.name == "Sari\ufffd"


async def test_a_nul_in_the_display_name_and_the_question_is_answered(bot: CoachBot) -> None:
    msg = Inbound.from_text("console", "budi", "apa itu \x00 komisi?\udfff", chat_id="budi",
                            update_id="9\x00", display_name="Bu\x00di\ud83d")

    replies = await bot.handle(msg)

    assert replies and not [r for r in replies if r.text in FALLBACK_ERROR.values()]


def test_ordinary_text_and_emoji_are_left_alone() -> None:
    assert storable("Halo 😀 apa kabar?") == "Halo 😀 apa kabar?"
    assert storable("a\x00b\ud800") == "ab\ufffd"
