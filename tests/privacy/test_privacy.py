"""A partner can see what is stored about them and delete it."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import CoachBot
from bot.storage.models import Partner
from handlers.learning.models import AssessmentAnswer, ModuleProgress, StepResponse
from tests.fixtures.chat import Chat


async def test_partner_sees_their_data_then_deletes_it(chat: Chat, bot: CoachBot) -> None:
    await chat.onboard(name="Dewi")
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("Aku ingin membantu usaha keluarga")
    await chat.send("/mydata")
    assert "Name: Dewi" in chat.text and "Aku ingin membantu usaha keluarga" in chat.text
    await chat.press("Delete all my data")
    await chat.press("No, keep it")
    assert "stays safe" in chat.text
    await chat.send("/deletedata")
    await chat.press("Yes, delete")
    assert "has been deleted" in chat.text
    async with bot.db.transaction() as s:
        for model in (Partner, ModuleProgress, StepResponse, AssessmentAnswer):
            assert (await s.execute(select(func.count()).select_from(model))).scalar_one() == 0
    await chat.send("/start")
    assert "Mau ngobrol pakai bahasa apa" in chat.text  # a new partner, from scratch
