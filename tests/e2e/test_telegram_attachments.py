"""Proof a partner sends (a screenshot, a document) reaches the core as attachments, and a
file the bot sends (a certificate) reaches the partner, with each driver."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.core import Attachment, Inbound, OutFile, Reply
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e


async def test_a_screenshot_and_a_document_arrive_and_a_certificate_goes_out(
        bot: CoachBot, fake: FakeBotAPI, driver_name: str, settings: Settings) -> None:
    seen: list[Inbound] = []
    pdf = OutFile("sertifikat.pdf", b"%PDF-1.4 certificate", "application/pdf")
    png = OutFile("sertifikat.png", b"\x89PNG\r\n\x1a\n picture", "image/png")

    async def handle(msg: Inbound) -> list[Reply]:
        seen.append(msg)
        if msg.attachments and msg.attachments[0].kind == "document":
            return [Reply("Ini sertifikatmu!", files=(pdf, png))]
        return [Reply("Bukti diterima.")]

    cfg = telegram_settings(settings, fake, driver_name, "polling")
    async with serving(bot, cfg, handle=handle):
        sari = fake.user("Sari")
        got = await sari.settle(await sari.send_photo("shot-1", caption="video pertama"))
        assert [m.get("text") for m in got] == ["Bukti diterima."]
        got = await sari.settle(await sari.send_document("doc-9", "rencana.pdf"))

    photo, document = seen
    assert photo.text == "video pertama"
    assert photo.attachments == (Attachment("photo", "shot-1", "", "image/jpeg", 90000),)
    assert document.attachments == (
        Attachment("document", "doc-9", "rencana.pdf", "application/pdf", 12345),)
    assert fake.uploads("sendDocument") == [("sertifikat.pdf", pdf.data)]
    assert fake.uploads("sendPhoto") == [("sertifikat.png", png.data)]
    assert got[-1]["text"] == "Ini sertifikatmu!"
