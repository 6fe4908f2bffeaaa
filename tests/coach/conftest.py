"""Coach fixtures: an admin from the configuration, a coach, partners and their outbox."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from tests.conftest import EXAMPLE_PACKS
from tests.fixtures.chat import Chat


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",  # type: ignore[call-arg]
                    packs_dir=EXAMPLE_PACKS, default_pack="example", admin_ids=["admin-1"],
                    report_stalled_days=3)


@pytest.fixture
def admin(bot: CoachBot) -> Chat:
    return Chat(bot, user="admin-1", language_hint="en")


@pytest.fixture
async def coach(bot: CoachBot, admin: Chat) -> Chat:
    """Rina, made a coach by the admin, chatting in English."""
    await admin.send("/addcoach coach-1 Rina")
    chat = Chat(bot, user="coach-1", language_hint="en")
    await chat.send("/language en")
    return chat


async def onboarded(bot: CoachBot, user: str, name: str, **kw: Any) -> Chat:
    chat = Chat(bot, user=user)
    await chat.onboard(name=name, **kw)
    return chat


async def outbox(db: Database, prefix: str = "") -> list[OutboxMessage]:
    async with db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like(prefix + "%")).order_by(OutboxMessage.id))).scalars()
        return list(rows)
