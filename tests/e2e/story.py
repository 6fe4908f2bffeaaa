"""The coach's story shared by the console and Telegram end-to-end tests: a deployment with
two packs, its cohorts and partners, and the figures a coach's report must match."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import Cohort, OutboxMessage, Partner
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress
from handlers.webinars.models import WebinarRsvp
from tests.conftest import EXAMPLE_PACKS
from tests.fixtures.chat import Chat

OTHER_PACK = Path(__file__).parents[1] / "fixtures" / "mixed" / "other"
STALLED_DAYS = 3


def mixed_library() -> PackLibrary:
    """The example pack (cohort MEI) and the host pack (cohort HOST) side by side."""
    return PackLibrary.load([EXAMPLE_PACKS / "example", OTHER_PACK])


async def cohorts(db: Database, clock: FixedClock) -> None:
    async with db.transaction() as s:
        repos = Repos(s)
        await repos.cohorts.create("Batch Mei", "example", clock.now(), "MEI")
        await repos.cohorts.create("Hosts Juni", "other", clock.now(), "HOST")


async def join(chat: Chat, code: str, name: str) -> None:
    """A partner joins a cohort with its code and finishes onboarding (ratings 2)."""
    await chat.send(f"/start {code}")
    await chat.press("English")
    await chat.send(name)
    await chat.press("🎓")
    await chat.press("WIB")
    await chat.press("2")
    await chat.press("2")


async def figures(db: Database, code: str, now_minus_idle: object) -> dict[str, int]:
    """The cohort's figures counted straight from the tables."""
    async with db.transaction() as s:
        cohort_id = (await s.execute(select(Cohort.id).where(Cohort.code == code))).scalar_one()
        members = select(Partner.id).where(Partner.cohort_id == cohort_id,
                                           Partner.role == "partner")
        partners = (await s.execute(select(func.count()).select_from(
            members.subquery()))).scalar_one()
        onboarded = (await s.execute(select(func.count()).select_from(Partner).where(
            Partner.cohort_id == cohort_id, Partner.onboarded_at.is_not(None)))).scalar_one()
        stalled = (await s.execute(select(func.count()).select_from(Partner).where(
            Partner.cohort_id == cohort_id, Partner.role == "partner",
            Partner.last_active_at < now_minus_idle))).scalar_one()
        finished = (await s.execute(select(func.count()).select_from(ModuleProgress).where(
            ModuleProgress.partner_id.in_(members),
            ModuleProgress.completed_at.is_not(None)))).scalar_one()
    return {"partners": partners, "onboarded": onboarded, "stalled": stalled,
            "finished": finished}


def report_figures(text: str) -> dict[str, int]:
    """The same figures as the coach reads them in the /cohort report."""
    partners = int(re.search(r"— (\d+) partners", text).group(1))  # type: ignore[union-attr]
    onboarded = int(re.search(r"Onboarding finished: (\d+)/", text).group(1))  # type: ignore[union-attr]
    stalled_at = re.search(r"\*?Stalled\*? \((\d+),", text)
    finished = sum(int(n) for n in re.findall(r"^• [^:\n]+: (\d+)/\d+ \(", text, re.M))
    return {"partners": partners, "onboarded": onboarded,
            "stalled": int(stalled_at.group(1)) if stalled_at else 0, "finished": finished}


async def rsvps(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        rows = await s.execute(select(WebinarRsvp.answer, func.count())
                               .group_by(WebinarRsvp.answer))
        return {a: int(n) for a, n in rows.all()}


async def sent_to(db: Database, prefix: str) -> set[str]:
    """The chats the outbox rows with this key prefix were sent to."""
    async with db.transaction() as s:
        rows = await s.execute(select(OutboxMessage.chat_id).where(
            OutboxMessage.dedupe_key.like(prefix + "%"), OutboxMessage.status == "sent"))
        return set(rows.scalars())


def idle_since(clock: FixedClock) -> object:
    return clock.now() - timedelta(days=STALLED_DAYS)
