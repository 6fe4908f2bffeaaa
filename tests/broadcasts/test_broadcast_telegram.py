"""Broadcasts end to end: the real Telegram adapter, the outbox dispatcher and the strict
fake Bot API (30 messages/s overall, 1/s per chat, 429 with retry_after, 403 when blocked)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from bot.cli.coach import follow
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import Partner
from bot.storage.repos import Repos
from handlers.broadcasts.service import Broadcasts
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e


async def partners(db: Database, fake: FakeBotAPI, n: int, clock: FixedClock) -> list[int]:
    """n partners on Telegram, each with a private chat on the fake; returns their chat ids."""
    chats = [fake.user(f"P{i}").chat_id for i in range(n)]
    async with db.transaction() as s:
        repos = Repos(s)
        for cid in chats:
            await repos.partners.create(channel="telegram", external_id=str(cid),
                                        chat_id=str(cid), pack_id="example", now=clock.now())
    return chats


def telegram(settings: Settings, fake: FakeBotAPI, db: Database, **kw: Any) -> Settings:
    return settings.model_copy(update={
        "telegram_token": fake.token, "telegram_api_base": fake.base_url,
        "database_url": db.url, "send_rate": 30.0, "send_chat_interval": 1.0,
        "dispatch_interval": 0.05, **kw})


def delivered(fake: FakeBotAPI) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for call in fake.calls:
        if call.method == "sendMessage" and call.status == 200:
            out[int(call.params["chat_id"])].append(str(call.params["text"]))
    return out


async def test_a_broadcast_reaches_everyone_once_and_blocked_partners_are_marked(
        database: Database, settings: Settings, clock: FixedClock) -> None:
    async with FakeBotAPI(global_rate=30, chat_rate=1) as fake:
        chats = await partners(database, fake, 40, clock)
        coach = fake.user("Rina").chat_id
        for cid in chats[:3]:
            fake.block(cid)
        async with database.transaction() as s:
            repos = Repos(s)
            rina = await repos.partners.create(channel="telegram", external_id=str(coach),
                                               chat_id=str(coach), pack_id="example",
                                               now=clock.now(), role="coach", language="en")
            info = await Broadcasts(s).create(segment="all", text="Webinar malam ini 19:00!",
                                           send_at=clock.now(), created_by=rina.id,
                                           now=clock.now())
        assert info.total == 40
        final = await follow(telegram(settings, fake, database), info.id, dispatch=True,
                             on_progress=lambda pr: None, poll=0.1)

        assert (final.sent, final.blocked, final.failed, final.pending) == (37, 3, 0, 0)
        got = delivered(fake)
        assert all(got[cid] == ["Webinar malam ini 19:00!"] for cid in chats[3:])
        assert not any(got[cid] for cid in chats[:3])
        assert "Broadcast #1 is finished" in got[coach][0]
        assert "sent=37 blocked=3 failed=0 pending=0" in got[coach][0]
        async with database.transaction() as s:
            blocked = (await s.execute(select(Partner.chat_id).where(Partner.blocked))).all()
        assert sorted(int(c) for (c,) in blocked) == sorted(chats[:3])


async def test_429s_are_honoured_without_losing_duplicating_or_reordering(
        database: Database, settings: Settings, clock: FixedClock) -> None:
    # the platform allows a sixth of what we were told: every excess send gets a 429 (even
    # the evenly spaced slots of the shared rate on PostgreSQL, which have no burst)
    async with FakeBotAPI(global_rate=5, global_burst=5, chat_rate=1) as fake:
        chats = await partners(database, fake, 12, clock)
        async with database.transaction() as s:
            first = await Broadcasts(s).create(segment="all", text="Satu", send_at=clock.now(),
                                            created_by=None, now=clock.now())
            second = await Broadcasts(s).create(segment="all", text="Dua", send_at=clock.now(),
                                             created_by=None, now=clock.now())
        tg = telegram(settings, fake, database)
        await follow(tg, first.id, dispatch=True, on_progress=lambda pr: None, poll=0.1)
        final = await follow(tg, second.id, dispatch=True, on_progress=lambda pr: None,
                             poll=0.1)
        assert (final.sent, final.pending, final.failed) == (12, 0, 0)
        assert Counter(c.status for c in fake.calls if c.method == "sendMessage")[429] > 0
        got = delivered(fake)
        assert all(got[cid] == ["Satu", "Dua"] for cid in chats)
