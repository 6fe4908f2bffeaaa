"""`/mydata file`: a partner gets everything stored about her as one JSON document, in the
terminal (saved under var/) and on Telegram (a document, with either driver)."""

from __future__ import annotations

import json

import pytest

from bot.app import CoachBot
from bot.config import Settings
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fixtures.chat import Chat


async def test_the_export_holds_her_profile_answers_and_questions(chat: Chat) -> None:
    await chat.onboard(name="Dewi")
    await chat.send("/tanya kapan komisi dibayar?")

    replies = await chat.send("/mydata file")

    [document] = [f for r in replies for f in r.files]
    assert document.name.endswith(".json") and document.mime == "application/json"
    data = json.loads(document.data)
    assert data["profile"]["name"] == "Dewi"
    assert data["learning"]["self_assessment"]["before"]
    assert [q["text"] for q in data["faq_questions"]] == ["kapan komisi dibayar?"]


@pytest.mark.e2e
@pytest.mark.parametrize("driver", ["aiogram", "ptb"])
async def test_on_telegram_the_export_arrives_as_a_document(
        bot: CoachBot, settings: Settings, driver: str) -> None:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, serving(
            bot, telegram_settings(settings, fake, driver, "polling")):
        sari = fake.user("Sari", language_code="en")
        await sari.say("/start")
        answer = await sari.say("/mydata file")

    [doc] = [m["document"] for m in answer if "document" in m]
    assert doc["file_name"].startswith("mydata-") and doc["file_name"].endswith(".json")
