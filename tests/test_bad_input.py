"""Whatever a partner sends, they get a friendly answer and their place is kept."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import FALLBACK_ERROR, CoachBot
from bot.core import Inbound, Reply
from bot.storage.repos import PartnerRepo
from handlers.learning.states import LearningState
from tests.fixtures.chat import Chat


async def _state(bot: CoachBot, user: str = "sari") -> tuple[str, str | None, str | None]:
    async with bot.db.transaction() as s:
        from bot.storage.repos import PartnerRepo

        p = await PartnerRepo(s).get("console", user)
        assert p is not None
        return p.state, p.module_id, p.step_id


async def test_text_where_a_button_is_expected_asks_again_kindly(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("English")
    await chat.send("Sari")
    await chat.send("I am a student I guess")
    assert "pick one of the buttons" in chat.text
    assert any("student" in label for label in chat.labels)


async def test_button_from_an_old_message_does_not_advance_twice(chat: Chat,
                                                                 bot: CoachBot) -> None:
    await chat.onboard()
    await chat.press("Program basics")
    next_button = chat.button("Next")
    await chat.press_payload(next_button.payload)
    assert "step 2/3" in chat.text
    await chat.press_payload(next_button.payload)
    assert "earlier message" in chat.text
    assert "step 2/3" in chat.text
    assert await _state(bot) == (LearningState.MODULE, "basics", "why")


@pytest.mark.parametrize("payload", [
    "s1:basics:intro:explode", "zz9:whatever", "", ":::", "s1", "qa1:999:q1:a",
    "a1:before:program:9", "m1:open:no-such-module", "o1:lang:fr", "x" * 200,
    "s1:basics:../../etc:next", "q1:start:final",
])
async def test_forged_or_malformed_button_gets_a_friendly_answer(chat: Chat, bot: CoachBot,
                                                                  payload: str) -> None:
    await chat.onboard()
    before = await _state(bot)
    await chat.press_payload(payload)
    assert chat.replies, "every button press gets an answer"
    assert "Sorry, something went wrong" not in chat.text
    assert await _state(bot) == before


async def test_rating_outside_one_to_five_is_refused(chat: Chat, bot: CoachBot) -> None:
    await chat.send("/start")
    await chat.press("English")
    await chat.send("Sari")
    await chat.press("🎓")
    await chat.press("WIB")
    for typed in ("7", "0", "-1", "three", "4.5"):
        await chat.send(typed)
        assert "number from 1 to 5" in chat.text
    payload = chat.button("5").payload.replace(":5", ":6")
    await chat.press_payload(payload)
    assert "number from 1 to 5" in chat.text
    assert (await _state(bot))[0] == LearningState.ASSESS_BEFORE


async def test_unknown_command_is_named_and_help_follows(chat: Chat) -> None:
    await chat.onboard()
    await chat.send("/fly")
    assert "/fly" in chat.text and "/menu" in chat.text


async def test_empty_and_huge_messages(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("   ")
    assert "empty" in chat.text
    await chat.send("a" * 5000)
    assert "too long" in chat.text
    assert (await _state(bot))[0] == LearningState.MENU


async def test_bad_input_is_answered_in_the_partners_language(chat: Chat) -> None:
    await chat.onboard(lang="Bahasa Indonesia")
    await chat.send("")
    assert "kosong" in chat.text
    await chat.send("/terbang")
    assert "belum kenal perintah /terbang" in chat.text


async def test_emoji_and_other_scripts_are_fine(chat: Chat, bot: CoachBot) -> None:
    await chat.send("/start")
    await chat.press("English")
    await chat.send("🙂🙂🙂")
    assert "doesn't look like a name" in chat.text
    await chat.send("สมชาย 李雷")
    assert "สมชาย 李雷" in chat.text
    await chat.press("💼")
    await chat.press("Maluku")
    await chat.press("1")
    await chat.press("1")
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("Ingin 💰 untuk keluarga — هذا جيد")
    assert "Thank you for sharing" in chat.text
    async with bot.db.transaction() as s:
        from bot.storage.repos import PartnerRepo
        from handlers.learning.repo import ProgressRepo

        p = await PartnerRepo(s).get("console", "sari")
        assert p is not None and p.timezone == "Asia/Jayapura"
        answers = await ProgressRepo(s).responses(p.id)
    assert answers[-1].text == "Ingin 💰 untuk keluarga — هذا جيد"


async def test_markup_in_a_name_is_kept_as_plain_text(chat: Chat) -> None:
    await chat.onboard(name="*_[`\\`")
    await chat.send("/menu")
    assert "*_[`\\`" in chat.text


async def test_a_duplicated_update_is_processed_once(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    payload = chat.button("Program basics").payload
    first = await bot.handle(Inbound.button("console", "sari", payload, update_id="dup-1"))
    again = await bot.handle(Inbound.button("console", "sari", payload, update_id="dup-1"))
    assert first and again == []


async def test_a_message_that_failed_is_handled_when_telegram_delivers_it_again(
        chat: Chat, bot: CoachBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The update id is recorded in the message's own transaction: when handling fails,
    nothing of it is kept, so the redelivery is served instead of ignored as a duplicate."""
    await chat.onboard()
    dispatch = bot.router.dispatch
    calls = 0

    async def fails_once(msg: Inbound, ctx: Any) -> list[Reply]:
        nonlocal calls
        calls += 1
        if calls == 1:
            ctx.partner.name = "half-written"  # a change that must not survive
            raise RuntimeError("the handler broke")
        return await dispatch(msg, ctx)

    monkeypatch.setattr(bot.router, "dispatch", fails_once)
    first = await bot.handle(Inbound.from_text("console", "sari", "/help", update_id="tg-77"))
    assert first[0].text in FALLBACK_ERROR.values()
    again = await bot.handle(Inbound.from_text("console", "sari", "/help", update_id="tg-77"))
    assert again and "/menu" in again[0].text
    async with bot.db.transaction() as s:
        partner = await PartnerRepo(s).get("console", "sari")
    assert partner is not None and partner.name != "half-written"
