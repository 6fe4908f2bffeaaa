"""Every morning the coaches get one digest: who stalled, who is new, what partners asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from bot.storage.repos import Repos
from handlers.registry import FEATURES
from handlers.reports import digest
from scheduler.scope import Scope
from tests.fixtures.chat import Chat


def _scope(s: AsyncSession, bot: CoachBot, settings: Settings, now: datetime) -> Scope:
    return Scope(Repos(s), bot.library, settings, now, FEATURES)


async def _digests(database: Database) -> list[OutboxMessage]:
    async with database.transaction() as s:
        rows = await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        return list(rows.scalars())


async def test_coaches_get_one_digest_a_day_with_stalled_partners_and_questions(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    settings = bot.settings.model_copy(update={
        "coach_chat_id": "coaches", "digest_channel": "console", "digest_hour": 8,
        "digest_timezone": "Asia/Jakarta"})
    sari = Chat(bot, user="sari")
    await sari.onboard(name="Sari")
    await sari.press("Program basics")
    await sari.send("bisa bayar pakai kripto gak kak?")
    await sari.send("/coach")
    budi = Chat(bot, user="budi")
    await budi.onboard(name="Budi")
    clock.advance(hours=30)  # Sari has not come back to her module since

    early = clock.now().replace(hour=0)  # 07:00 in Jakarta: before the digest hour
    async with database.transaction() as s:
        assert await digest.enqueue_if_due(_scope(s, bot, settings, early)) == 0
    async with database.transaction() as s:
        assert await digest.enqueue_if_due(_scope(s, bot, settings, clock.now())) == 1
    async with database.transaction() as s:  # a second pass, or a second worker: no repeat
        assert await digest.enqueue_if_due(_scope(s, bot, settings, clock.now())) == 0

    [row] = await _digests(database)
    assert row.chat_id == "coaches"
    text = str(row.payload["text"])
    assert "Berhenti di tengah modul (>24 jam): 1" in text and "Sari" in text
    assert "Mitra baru dalam 24 jam terakhir: 0" in text
    assert "Tiket coach yang masih terbuka: 1" in text
    assert "Pertanyaan dalam 24 jam terakhir: 0" in text  # asked 30 hours ago

    clock.advance(hours=24)
    await budi.send("apakah ada asuransi kesehatan untuk mitra?")
    async with database.transaction() as s:
        assert await digest.enqueue_if_due(_scope(s, bot, settings, clock.now())) == 1
    latest = (await _digests(database))[-1]
    assert "Pertanyaan dalam 24 jam terakhir: 1 (tak terjawab FAQ: 1" in str(
        latest.payload["text"])
    assert "asuransi kesehatan" in str(latest.payload["text"])
