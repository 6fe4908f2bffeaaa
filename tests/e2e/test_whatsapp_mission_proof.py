"""A mission proof sent as a WhatsApp photo reaches the coaches, who work in another channel:
the bytes are fetched through the media API when the proof arrives (WhatsApp media ids mean
nothing elsewhere, and expire), and travel with the coaches' message."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.config import Settings
from bot.core import FixedClock, reply_from_dict
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from tests.e2e.whatsapp import serving_whatsapp
from tests.fakes.graph_api import FakeGraphAPI
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion, library, mission_packs
from tests.scheduler.fakes import RecordingChannel

pytestmark = pytest.mark.e2e
__all__ = ["library", "mission_packs"]

SARI = "6281200000077"
PHOTO = b"\xff\xd8\xff\xe0 a screenshot of the first video \xff\xd9"


@pytest.fixture
def settings(mission_packs: object) -> Settings:
    # the coaches' chat is on the console ("coaches"), the partner on WhatsApp
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",  # type: ignore[call-arg]
                    packs_dir=mission_packs, default_pack="example", coach_chat_id="coaches",
                    digest_channel="console")


@pytest.fixture
async def whatsapp(bot: CoachBot, graph: FakeGraphAPI) -> AsyncIterator[WhatsAppRunner]:
    async with serving_whatsapp(bot, graph) as runner:
        yield runner


async def _proof_rows(bot: CoachBot) -> list[OutboxMessage]:
    async with bot.db.transaction() as s:
        return list((await s.execute(select(OutboxMessage).where(
            OutboxMessage.kind == "mission_proof").order_by(OutboxMessage.id))).scalars())


async def test_a_whatsapp_photo_proof_reaches_the_coaches_console_with_its_bytes(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI,
        clock: FixedClock) -> None:
    wa = Chat(bot, user=SARI, channel="whatsapp")
    await finish_promotion(wa)  # the conversation as WhatsApp's Inbounds, straight to the app
    await wa.send("/missions")
    await wa.press("First video")
    await wa.press("Send proof")

    graph.media_files["MEDIA-PROOF-1"] = (PHOTO, "image/jpeg")
    sari = graph.user(SARI, "Sari")
    assert await sari.send("image", {"id": "MEDIA-PROOF-1", "mime_type": "image/jpeg",
                                     "caption": "my first video"}) == 200
    assert "I've got your proof" in sari.received()[-1].text

    [row] = await _proof_rows(bot)
    assert (row.channel, row.chat_id) == ("console", "coaches")
    shown = reply_from_dict(row.payload)
    assert shown.image is None, "a WhatsApp media id means nothing in the coaches' chat"
    [file] = shown.files
    assert (file.data, file.mime, file.name) == (PHOTO, "image/jpeg", "photo.jpg")

    del graph.media_files["MEDIA-PROOF-1"]  # WhatsApp's media id has expired since
    coaches = RecordingChannel("console")
    await Dispatcher(bot.db, {"console": coaches}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    [(chat_id, sent)] = [(c, r) for c, r in coaches.sent if r.files]
    assert chat_id == "coaches" and sent.files[0].data == PHOTO
    assert "Sari (whatsapp:6281200000077)" in sent.text


async def test_a_proof_whose_media_cannot_be_fetched_still_reaches_the_coaches(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    wa = Chat(bot, user=SARI, channel="whatsapp")
    await finish_promotion(wa)
    await wa.send("/missions")
    await wa.press("First video")
    await wa.press("Send proof")

    sari = graph.user(SARI, "Sari")  # a media id the Graph API no longer knows
    assert await sari.send("image", {"id": "MEDIA-GONE", "mime_type": "image/jpeg"}) == 200
    assert "I've got your proof" in sari.received()[-1].text
    [row] = await _proof_rows(bot)
    assert row.channel == "console"
    assert reply_from_dict(row.payload).files == ()
