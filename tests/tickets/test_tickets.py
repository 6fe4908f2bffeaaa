"""When the FAQ cannot help, a human coach can: tickets in the coaches' chat, answers
back to the partner, threads that keep the bot from talking over the coach."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app import CoachBot
from bot.core import FixedClock, Inbound, reply_from_dict
from bot.storage.models import OutboxMessage
from handlers.tickets.models import CoachTicket, TicketMessage
from tests.fixtures.chat import Chat


async def _outbox(bot: CoachBot, chat_id: str | None = None) -> list[OutboxMessage]:
    async with bot.db.transaction() as s:
        q = select(OutboxMessage).order_by(OutboxMessage.id)
        if chat_id:
            q = q.where(OutboxMessage.chat_id == chat_id)
        return list((await s.execute(q)).scalars())


async def _ticket(bot: CoachBot, ticket_id: int = 1) -> CoachTicket:
    async with bot.db.transaction() as s:
        ticket = await s.get(CoachTicket, ticket_id)
        assert ticket is not None
        return ticket


async def test_partner_hands_a_question_to_a_coach_who_answers_it(
        chat: Chat, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await chat.onboard(name="Sari")
    await chat.send("can I promote on two platforms at once?")
    await chat.press("Ask a coach")
    assert "passed your question to a coach (ticket #1)" in chat.text
    # Monday 10:00 WIB: coach hours, but no coach has been around, so no "online"
    assert "It's coach hours now. A coach will answer as soon as they can." in chat.text
    [announce, *reminders] = await _outbox(bot, "coaches")
    assert announce.kind == "ticket" and announce.payload["ref"] == "t:1"
    text = reply_from_dict(announce.payload).text
    assert "Tiket #1" in text and "Sari (console:sari)" in text
    assert "can I promote on two platforms at once?" in text
    assert "di menu" in text and "0/2 modul selesai" in text
    assert len(reminders) == 3 and all(r.kind == "ticket_reminder" for r in reminders)

    clock.advance(minutes=14)
    await coach.send("/reply 1 Yes! Start with one, then add the second.")
    assert "Terkirim ke Sari (tiket #1)" in coach.text and "14 menit" in coach.text
    [answer] = [r for r in await _outbox(bot, "sari") if r.kind == "ticket_answer"]
    reply = reply_from_dict(answer.payload)
    assert "Coach Dewi" in reply.text and "Start with one" in reply.text
    ticket = await _ticket(bot)
    assert (ticket.status, ticket.answered_by, ticket.answer_seconds) == ("answered", "Dewi",
                                                                          14 * 60)
    statuses = {r.dedupe_key: r.status for r in await _outbox(bot, "coaches")}
    assert statuses["ticket:1:open"] == "pending"
    assert all(v == "cancelled" for k, v in statuses.items() if ":remind:" in k)

    await chat.press_payload(reply.flat_buttons[0].payload)  # "Solved"
    assert "closed ticket #1" in chat.text
    assert (await _ticket(bot)).closed_by == "Sari"


async def test_while_a_ticket_is_open_the_bot_does_not_talk_over_the_coach(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("/coach")
    assert "calling a coach (ticket #1)" in chat.text
    await chat.send("lupa kata sandi")  # a FAQ question, but the coach is listening now
    assert "Sent to the coach (ticket #1)" in chat.text
    assert "Forgot Password" not in chat.text
    async with bot.db.transaction() as s:
        thread = list((await s.execute(select(TicketMessage.text))).scalars())
    assert thread == ["lupa kata sandi"]
    forwarded = [r for r in await _outbox(bot, "coaches") if r.kind == "ticket_message"]
    assert "lupa kata sandi" in reply_from_dict(forwarded[0].payload).text

    await chat.send("/menu")
    assert "Your modules" in chat.text
    await chat.send("lupa kata sandi")
    assert "Use the Forgot Password button." in chat.text


async def test_a_coach_answers_by_replying_to_the_ticket_message_in_the_group(
        chat: Chat, bot: CoachBot) -> None:
    bot.settings = bot.settings.model_copy(update={"coach_chat_id": "-100777"})
    await chat.onboard()
    await chat.send("/coach my booking code is not working")
    [announce] = [r for r in await _outbox(bot, "-100777") if r.kind == "ticket"]
    async with bot.db.transaction() as s:  # what the dispatcher stores once it is sent
        await s.execute(update(OutboxMessage).where(OutboxMessage.id == announce.id)
                        .values(message_ref="555", status="sent"))
    chatter = await bot.handle(Inbound.from_text("console", "rudi", "lunch anyone?",
                                                 chat_id="-100777", is_group=True,
                                                 display_name="Rudi"))
    assert chatter == []  # the bot stays quiet in the coaches' chat
    replies = await bot.handle(Inbound.from_text(
        "console", "rudi", "Send me a screenshot please", chat_id="-100777", is_group=True,
        reply_to_ref="555", display_name="Rudi"))
    assert "Terkirim ke Sari" in replies[0].text
    answers = [r for r in await _outbox(bot, "sari") if r.kind == "ticket_answer"]
    assert "Send me a screenshot please" in reply_from_dict(answers[0].payload).text
    assert (await _ticket(bot)).answered_by == "Rudi"


async def test_outside_coach_hours_the_partner_is_told_when_to_expect_an_answer(
        chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await chat.onboard(tz="WITA")
    clock.current = clock.current.replace(day=7, hour=12)  # Saturday 19:00 WIB
    await chat.send("/coach")
    assert "You can expect an answer from Monday 10:00 (your time)" in chat.text
    reminders = [r for r in await _outbox(bot, "coaches") if r.kind == "ticket_reminder"]
    assert [r.due_at.hour for r in reminders] == [4, 6, 8]  # Monday 11:00, 13:00, 15:00 WIB
    assert all(r.due_at.day == 9 for r in reminders)


async def test_only_coaches_can_reply_or_close(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("/coach help")
    await chat.send("/reply 1 I am the coach now")
    assert "for coaches only" in chat.text
    await chat.send("/close 1")
    assert "for coaches only" in chat.text
    assert (await _ticket(bot)).status == "open"


async def test_coach_closes_a_ticket_and_the_partner_is_back_with_the_faq(
        chat: Chat, coach: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("/coach is there a webinar this week?")
    await coach.send("/tickets")
    assert "#1" in coach.text and "webinar" in coach.text
    await coach.send("/close 1")
    assert "Tiket #1 ditutup" in coach.text
    closed = [r for r in await _outbox(bot, "sari") if r.kind == "ticket_closed"]
    assert "closed ticket #1" in reply_from_dict(closed[0].payload).text
    await chat.send("lupa kata sandi")
    assert "Use the Forgot Password button." in chat.text
    await coach.send("/reply 1 too late")
    assert "tidak ada atau sudah ditutup" in coach.text


async def test_coach_commands_with_bad_arguments_explain_themselves(coach: Chat) -> None:
    for text in ("/reply", "/reply abc hello", "/reply 5", "/close", "/close x"):
        await coach.send(text)
        assert "/reply" in coach.text or "/close" in coach.text
    await coach.send("/reply 99 hello")
    assert "Tiket #99 tidak ada" in coach.text
    await coach.send("just chatting")
    assert "/reply <nomor> <jawaban>" in coach.text


async def test_a_forged_ticket_button_is_refused(chat: Chat, bot: CoachBot) -> None:
    other = Chat(bot, user="budi")
    await other.onboard()
    await other.send("/coach hi")
    await chat.onboard()
    await chat.press_payload("tk1:done:1")
    assert "earlier message" in chat.text
    assert (await _ticket(bot)).status == "open"


async def test_a_coach_is_called_present_only_after_writing_to_the_bot_lately(
        chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    bot.settings = bot.settings.model_copy(update={"admin_ids": ["console:coaches"]})
    await Chat(bot, user="coaches").send("/tickets")
    await chat.onboard()
    await chat.send("/coach")
    assert "A coach is around right now" in chat.text
    clock.advance(minutes=45)
    budi = Chat(bot, user="budi")
    await budi.onboard(name="Budi")
    await budi.send("/coach")
    assert "A coach is around" not in budi.text and "It's coach hours now" in budi.text


async def test_a_coach_without_a_name_is_a_neutral_coach_to_the_partner(
        chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(name="Sari")
    await chat.send("/coach how do I withdraw?")
    await Chat(bot, user="coaches").send("/reply 1 From the app, under Commission.")
    [answer] = [r for r in await _outbox(bot, "sari") if r.kind == "ticket_answer"]
    text = reply_from_dict(answer.payload).text
    assert text.startswith("💬 *Your coach* replied:")
    assert "Coach Coach" not in text and "coaches" not in text
