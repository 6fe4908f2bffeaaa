"""From knowing to doing: a partner gets practice missions after the promotion module, sends
proof in chat, a coach asks for a change or approves, and a reached target is recognised."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app import CoachBot
from bot.core import Attachment, FixedClock, Inbound, reply_from_dict
from bot.storage.models import OutboxMessage
from handlers.missions.models import MissionReflection
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion


async def _outbox(bot: CoachBot, chat_id: str) -> list[OutboxMessage]:
    async with bot.db.transaction() as s:
        return list((await s.execute(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))).scalars())


async def _screenshot(chat: Chat, file_id: str, caption: str = "") -> None:
    shot = Attachment("photo", file_id, "", "image/jpeg", 90000)
    chat.replies = await chat.bot.handle(Inbound.from_text(
        "console", chat.user, caption, attachments=(shot,)))


async def test_missions_stay_closed_until_the_promotion_module_is_done(chat: Chat) -> None:
    await chat.onboard()
    await chat.send("/misi")
    assert "No missions are open yet" in chat.text
    await _screenshot(chat, "shot-0")
    assert "no mission waiting for proof" in chat.text


async def test_proof_goes_to_the_coaches_who_ask_for_a_change_then_approve(
        chat: Chat, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await finish_promotion(chat)
    await chat.send("/missions")
    assert "First video" in chat.text and "due 9 Nov" in chat.text  # 7 days after 2 Nov
    assert "3 sales" in chat.text and "due 12 Nov" in chat.text  # the day after 11.11
    await chat.press("First video")
    assert "Practice making a video." in chat.text and "Send a link or a screenshot." in chat.text
    await chat.press("Send proof")
    await chat.send("I made it, promise")
    assert "I need a link or a screenshot" in chat.text
    await chat.send("here: https://video.example/v/123")
    assert "I've got your proof for *First video*" in chat.text

    [proof] = [r for r in await _outbox(bot, "coaches") if r.kind == "mission_proof"]
    shown = reply_from_dict(proof.payload)
    assert "Sari (console:sari)" in shown.text and "https://video.example/v/123" in shown.text
    await coach.press_payload(shown.flat_buttons[1].payload)  # ask for a change
    assert "Tulis masukan untuk Sari" in coach.text
    await coach.send("Tolong tambahkan link produknya di video ya")
    assert "Masukan untuk bukti #1 terkirim ke Sari" in coach.text

    [changes] = [r for r in await _outbox(bot, "sari") if r.kind == "mission_review"]
    told = reply_from_dict(changes.payload)
    assert "Coach Dewi asks for a small change" in told.text
    assert "tambahkan link produknya" in told.text
    await chat.send("/missions")
    assert "needs a change" in chat.text
    await chat.press_payload(told.flat_buttons[0].payload)  # send new proof
    await _screenshot(chat, "shot-2", "with the yellow basket now")
    assert "I've got your proof" in chat.text

    second = [r for r in await _outbox(bot, "coaches") if r.kind == "mission_proof"][-1]
    assert reply_from_dict(second.payload).image == "shot-2"
    await coach.press_payload(reply_from_dict(second.payload).flat_buttons[0].payload)
    assert "Bukti #2 disetujui" in coach.text
    await coach.press_payload(reply_from_dict(second.payload).flat_buttons[0].payload)
    assert "sudah dicek sebelumnya" in coach.text  # one verdict per proof
    approved = [reply_from_dict(r.payload).text for r in await _outbox(bot, "sari")
                if r.dedupe_key == "mission:2:approved"]
    assert approved and "Coach Dewi approved your mission *First video*" in approved[0]
    await chat.send("/missions")
    assert "✅ *First video*: done" in chat.text


async def test_a_reached_target_is_recognised_and_a_reply_in_the_group_is_a_verdict(
        chat: Chat, bot: CoachBot) -> None:
    bot.settings = bot.settings.model_copy(update={"coach_chat_id": "-100777"})
    await finish_promotion(chat)
    await chat.send("/missions")
    await chat.press("3 sales")
    await chat.press("Send proof")
    await chat.send("4 sales this week!")
    [proof] = [r for r in await _outbox(bot, "-100777") if r.kind == "mission_proof"]
    async with bot.db.transaction() as s:  # what the dispatcher stores once it is sent
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == proof.id)
                        .values(message_ref="901", status="sent"))
    replies = await bot.handle(Inbound.from_text(
        "console", "rudi", "ok", chat_id="-100777", is_group=True, reply_to_ref="901",
        display_name="Rudi"))
    assert "Bukti #1 disetujui" in replies[0].text
    assert "Sari mencapai target misi *3 penjualan*" in replies[0].text
    told = [reply_from_dict(r.payload).text for r in await _outbox(bot, "sari")
            if r.kind == "mission_review"]
    assert any("You reached the target of *3 sales*" in t for t in told)


async def test_proof_sent_without_choosing_a_mission_is_filed_where_it_fits(
        chat: Chat, bot: CoachBot) -> None:
    await finish_promotion(chat)
    await chat.send("/menu")
    await _screenshot(chat, "shot-9")  # only "First video" takes a screenshot
    assert "I've got your proof for *First video*" in chat.text
    await chat.send("/missions")
    assert "⏳ *First video*: waiting for a coach" in chat.text


async def test_a_partner_tells_what_got_in_the_way_and_it_is_kept_as_a_reflection(
        chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await finish_promotion(chat)
    clock.advance(days=8)
    await chat.send("/missions")
    assert "past the deadline (9 Nov)" in chat.text
    await chat.press("First video")
    await chat.press_payload("ms1:reflect:first-video")
    await chat.send("My phone broke this week")
    assert "noted it for your coaches" in chat.text
    async with bot.db.transaction() as s:
        said = list((await s.execute(select(MissionReflection.text))).scalars())
    assert said == ["My phone broke this week"]
