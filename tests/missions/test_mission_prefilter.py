"""The planner's SQL pre-filter for missions and reviews never leaves out a partner the
rules would nudge: a population with the promotion module finished at every moment of the
last seven weeks, proof in every state and reviews due all around, lives through three
weeks of passes; each pass must plan exactly what the rules decide for everyone unlocked in
the last 100 days, unfiltered."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress
from handlers.missions.models import MissionSubmission, ReviewItem
from handlers.registry import nudge_sources
from scheduler.planner import Planner
from tests.scheduler.test_prefilter import outbox_state, unfiltered

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
# passes at most a day and a half apart, as a running scheduler's are (a reason is planned
# within the planner's two-day catch-up window)
STEPS = [timedelta(hours=h) for h in (0, 1, 7, 20, 26, 50, 74, 100, 136, 170, 205, 240, 275,
                                      310, 345, 380)]


async def seed(db: Database, now: datetime, n: int = 150) -> None:
    rnd = random.Random(19)
    partners, progress, subs, items = [], [], [], []
    for pid in range(1, n + 1):
        # active this week: older silences had their check-in long ago
        last = now - timedelta(minutes=rnd.randrange(6 * 1440))
        partners.append(dict(
            id=pid, channel="console", external_id=f"p{pid}", chat_id=f"p{pid}",
            name=f"Mitra {pid}", language=rnd.choice(("id", "en")), timezone=rnd.choice(ZONES),
            role="partner", pack_id="example", state="menu", module_id=None, step_id=None,
            onboarded_at=last - timedelta(days=60), opted_out=rnd.random() < 0.05,
            blocked=False, created_at=last - timedelta(days=61), last_active_at=last))
        if rnd.random() < 0.8:
            done = now - timedelta(minutes=rnd.randrange(-3 * 1440, 50 * 1440))
            progress.append(dict(partner_id=pid, module_id="promo", step_id="plan",
                                 started_at=done, updated_at=done, completed_at=done))
            for mission in ("first-video", "sales"):
                roll = rnd.random()
                if roll < 0.4:
                    subs.append(dict(partner_id=pid, mission_id=mission,
                                     status=rnd.choice(("waiting", "approved", "changes")),
                                     kind="link", text="https://v.example", target_met=False,
                                     created_at=done))
        if rnd.random() < 0.4:
            items.append(dict(partner_id=pid, quiz_id="basics", question_id="q1",
                              box=rnd.randint(0, 2),
                              due_at=now + timedelta(minutes=rnd.randrange(-3 * 1440,
                                                                           10 * 1440)),
                              mastered=rnd.random() < 0.1, updated_at=now))
    async with db.transaction() as s:
        await s.execute(insert(Partner), partners)
        await s.execute(insert(ModuleProgress), progress)
        await s.execute(insert(MissionSubmission), subs)
        await s.execute(insert(ReviewItem), items)


def mine(planned: tuple[set[tuple[Any, ...]], set[int]]) -> set[tuple[Any, ...]]:
    """The missions' and reviews' nudges (learning's have their own pre-filter test, whose
    window these partners may lie outside)."""
    return {p for p in planned[0] if p[1].split(":")[2] in ("mnew", "mrem", "mchk", "rev")}


async def test_mission_and_review_nudges_planned_exactly_as_the_rules_decide(
        database: Database, library: PackLibrary, settings: Settings) -> None:
    start = datetime(2026, 11, 3, 2, 30, tzinfo=UTC)
    clock = FixedClock(start)
    planner = Planner(database, library, settings, clock, batch_size=29,
                      sources=nudge_sources())
    await seed(database, start)
    rnd = random.Random(7)
    kinds: set[str] = set()
    for step in STEPS:
        clock.current = start + step
        now = clock.now()
        expected = mine(await unfiltered(planner, now))
        before = await outbox_state(database)
        await planner.run_pass()
        after = await outbox_state(database)
        inserted = mine(({(pid, key, due) for i, (pid, key, due, _) in after.items()
                          if i not in before}, set()))
        assert inserted == expected, f"at +{step}"
        kinds |= {key.split(":")[2] for _, key, _ in inserted}
        async with database.transaction() as s:  # the dispatcher sends most of what is due
            due: list[Any] = list((await s.execute(select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.due_at <= now))).scalars())
            sent = [i for i in due if rnd.random() < 0.8]
            if sent:
                await s.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent))
                                .values(status="sent", sent_at=now))
    assert {"mnew", "mrem", "mchk", "rev"} <= kinds
