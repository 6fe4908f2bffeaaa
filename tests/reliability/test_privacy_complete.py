"""/mydata shows every kind of data held; /deletedata leaves nothing that names the partner,
including the copies of her ticket sent to the coaches' chat."""

from __future__ import annotations

from sqlalchemy import func, select, update

from bot.app import CoachBot
from bot.storage.models import OutboxMessage
from handlers.faq.models import FaqQuestion
from handlers.tickets.models import CoachTicket, TicketMessage
from tests.fixtures.chat import Chat


async def test_her_questions_and_ticket_are_shown_then_erased_everywhere(
        chat: Chat, bot: CoachBot) -> None:
    bot.settings = bot.settings.model_copy(update={"coach_chat_id": "-100777"})
    await chat.onboard(name="Dewi")
    await chat.send("/tanya kapan komisi dibayar?")
    await chat.send("/coach kode booking Zulfa-77 tidak bisa dipakai")
    async with bot.db.transaction() as s:  # the announcement went out to the coaches
        await s.execute(update(OutboxMessage).where(OutboxMessage.chat_id == "-100777")
                        .values(status="sent", message_ref="555"))

    await chat.send("/mydata")
    assert "kapan komisi dibayar?" in chat.text
    assert "kode booking Zulfa-77 tidak bisa dipakai" in chat.text

    await chat.send("/deletedata")
    await chat.press("Yes, delete")

    async with bot.db.transaction() as s:
        payloads = (await s.execute(select(OutboxMessage.payload))).scalars().all()
        for model in (CoachTicket, TicketMessage, FaqQuestion):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0
    left = " ".join(str(p) for p in payloads)
    assert "Dewi" not in left and "Zulfa-77" not in left and "sari" not in left
