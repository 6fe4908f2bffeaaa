"""A broadcast on WhatsApp: the real adapter, the outbox dispatcher and the strict fake Cloud
API. Partners who wrote within a day get it as written; the others, with no template for
broadcasts, wait for their next message, and the coach's report says how many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.whatsapp.store import WhatsAppStore
from bot.cli.coach import follow
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.repos import Repos
from handlers.broadcasts.service import Broadcasts
from tests.e2e.whatsapp import whatsapp_settings
from tests.fakes.graph_api import FakeGraphAPI

pytestmark = pytest.mark.e2e


async def partner(db: Database, fake: FakeGraphAPI, wa_id: str, wrote: datetime, *,
                  role: str = "partner") -> int:
    """Someone on WhatsApp who last wrote at `wrote`."""
    fake.last_inbound[wa_id] = wrote
    async with db.transaction() as s:
        rec = await Repos(s).partners.create(channel="whatsapp", external_id=wa_id,
                                             chat_id=wa_id, pack_id="example", now=wrote,
                                             role=role, language="en")
        await WhatsAppStore(s).arrived(wa_id, wrote, wrote)
    return rec.id


async def test_a_broadcast_reaches_the_open_windows_and_waits_for_the_quiet_ones(
        database: Database, settings: Settings) -> None:
    now = datetime.now(UTC)
    async with FakeGraphAPI(rate=80) as fake:
        active = [f"62812000{i:05d}" for i in range(20)]
        quiet = [f"62813000{i:05d}" for i in range(10)]
        for wa_id in active:
            await partner(database, fake, wa_id, now - timedelta(hours=2))
        for wa_id in quiet:
            await partner(database, fake, wa_id, now - timedelta(days=2))
        rina = await partner(database, fake, "6281100000001", now - timedelta(minutes=5),
                             role="coach")
        async with database.transaction() as s:
            info = await Broadcasts(s).create(segment="all", text="*Webinar* malam ini 19:00!",
                                              send_at=now, created_by=rina, now=now)
        assert info.total == 30
        config = whatsapp_settings(settings, fake, database_url=database.url, send_rate=80.0,
                                   send_chat_interval=1.0, dispatch_interval=0.05)
        final = await follow(config, info.id, dispatch=True, on_progress=lambda pr: None,
                             poll=0.1)

    assert (final.sent, final.waiting, final.pending, final.failed) == (20, 10, 0, 0)
    got = {wa_id: [m.text for m in fake.to(wa_id)] for wa_id in active + quiet}
    assert all(got[w] == ["*Webinar* malam ini 19:00!"] for w in active), "once each"
    assert not any(got[w] for w in quiet), "nothing free-form outside the window"
    assert fake.refused == []
    (report,) = fake.to("6281100000001")
    assert "Broadcast #1 is finished" in report.text and "waiting=10" in report.text
