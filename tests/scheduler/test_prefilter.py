"""The planner's SQL pre-filter never leaves out a partner the rules would nudge.

A pass asks the database, per rule kind, for the partners whose reason is due and not yet in
the outbox, and lets the pure rules decide for those only. These tests let a varied
population live through a week and a half (some partners act again, the dispatcher sends
some nudges) and check at every step that the pre-filtered pass plans and cancels exactly
what the rules decide for every partner in the planner's catch-up window, unfiltered.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress, QuizAttempt
from handlers.onboarding.nudges import UNFINISHED_STATES as ONBOARDING_STATES
from handlers.registry import nudge_sources
from scheduler.planner import Planner, calendar_near

KINDS = ["onboarding_unfinished", "stalled", "module_finished", "quiz_failed", "inactive",
         "calendar"]
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Not/AZone")
# around every threshold (2 h, 1 h, 20 h, 24 h, 7 days), the lookahead and the catch-up window
EDGES = [timedelta(hours=h) for h in (0, 0.5, 1, 2, 20, 24, 72, 74)] + [
    timedelta(days=d) for d in (3, 5, 6.99, 7, 9, 9.01, 11)]
NUDGE_EDGES = [e + timedelta(seconds=s) for e in EDGES for s in (-301, -299, -1, 0, 1, 299)]
# the week and a half the population lives through (offsets from the first pass)
STEPS = [timedelta(hours=h) for h in (0, 0.9, 2, 5, 20, 25, 50, 75, 170, 175, 220)]


def _offset(rnd: random.Random) -> timedelta:
    if rnd.random() < 0.6:
        return max(timedelta(0), rnd.choice(NUDGE_EDGES))
    return timedelta(seconds=rnd.randrange(12 * 24 * 3600))


def population(kind: str, now: datetime, n: int = 160, seed: int = 6) -> dict[str, list[Any]]:
    """Partners mostly in the situation of `kind`, the rest anywhere, at edge-case times."""
    rnd = random.Random(f"{kind}:{seed}")
    partners: list[dict[str, Any]] = []
    progress: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    for pid in range(1, n + 1):
        last = now - _offset(rnd)
        focus = kind if rnd.random() < 0.7 else rnd.choice(KINDS)
        row: dict[str, Any] = dict(
            id=pid, channel="console", external_id=f"p{pid}", chat_id=f"p{pid}",
            name=f"Mitra {pid}", language=rnd.choice(("id", "en")), timezone=rnd.choice(ZONES),
            role="coach" if rnd.random() < 0.04 else "partner", pack_id="example",
            state="menu", module_id=None, step_id=None, onboarded_at=last - timedelta(days=1),
            opted_out=rnd.random() < 0.05, blocked=rnd.random() < 0.03,
            created_at=last - timedelta(days=2), last_active_at=last)
        if focus == "onboarding_unfinished":
            row.update(state=rnd.choice(sorted(ONBOARDING_STATES)), onboarded_at=None)
        elif focus == "stalled":
            row.update(state="module", module_id=rnd.choice(("basics", "promo")),
                       step_id=rnd.choice(("why", "check1", None)))
            progress.append(dict(partner_id=pid, module_id=row["module_id"], step_id="why",
                                 started_at=last, updated_at=last, completed_at=None))
        elif focus in ("module_finished", "quiz_failed", "calendar"):
            done = last - rnd.choice((timedelta(0), timedelta(minutes=1), timedelta(minutes=9)))
            mods = ["basics"] if focus != "calendar" and rnd.random() < 0.7 else ["basics",
                                                                                 "promo"]
            for i, mid in enumerate(mods):
                at = done - timedelta(hours=len(mods) - 1 - i)
                progress.append(dict(partner_id=pid, module_id=mid, step_id="check1",
                                     started_at=at - timedelta(hours=1), updated_at=at,
                                     completed_at=at))
            if focus == "quiz_failed" or rnd.random() < 0.2:
                row["state"] = rnd.choice(("menu", "menu", "quiz"))
                for quiz in rnd.sample(("basics", "final"), rnd.randint(1, 2)):
                    for _ in range(rnd.randint(1, 2)):
                        fin = last - rnd.choice((timedelta(0), timedelta(minutes=1),
                                                 timedelta(minutes=30)))
                        attempts.append(dict(
                            partner_id=pid, quiz_id=quiz, started_at=fin - timedelta(minutes=5),
                            finished_at=None if rnd.random() < 0.1 else fin, score=0, total=2,
                            passed=rnd.choice((False, False, True, None))))
        elif focus == "inactive" and rnd.random() < 0.2:
            row.update(state="module", module_id="basics", step_id="why")
        partners.append(row)
    return {"partners": partners, "progress": progress, "attempts": attempts}


async def seed(db: Database, data: dict[str, list[Any]]) -> None:
    async with db.transaction() as s:
        await s.execute(insert(Partner), data["partners"])
        if data["progress"]:
            await s.execute(insert(ModuleProgress), data["progress"])
        if data["attempts"]:
            await s.execute(insert(QuizAttempt), data["attempts"])


async def unfiltered(planner: Planner, now: datetime) -> tuple[set[tuple[Any, ...]], set[int]]:
    """What the rules plan and cancel for everyone in the catch-up window, unfiltered."""
    calendar = calendar_near(now)
    async with planner.db.transaction() as s:
        batch = await planner._load(s, planner._relevant(now, calendar), now,
                                    calendar=calendar)
        known = set((await s.execute(select(OutboxMessage.dedupe_key))).scalars())
    chosen, stale = planner.decide(batch, now)
    # a key already in the outbox (an old row the planner does not read) is not inserted
    planned = {(pid, p.nudge.key, p.due_at) for pid, p in chosen if p.nudge.key not in known}
    return planned, set(stale)


async def unfiltered_partners(planner: Planner, now: datetime) -> set[int]:
    """Everyone the rules judge in the catch-up window."""
    calendar = calendar_near(now)
    async with planner.db.transaction() as s:
        batch = await planner._load(s, planner._relevant(now, calendar), now,
                                    calendar=calendar)
    return set(batch.facts)


async def outbox_state(db: Database) -> dict[int, tuple[Any, ...]]:
    async with db.transaction() as s:
        rows = await s.execute(select(OutboxMessage.id, OutboxMessage.partner_id,
                                      OutboxMessage.dedupe_key, OutboxMessage.due_at,
                                      OutboxMessage.status))
        return {r[0]: tuple(r[1:]) for r in rows.all()}


async def life_goes_on(db: Database, rnd: random.Random, now: datetime) -> None:
    """The dispatcher sends some due nudges; some partners come back and move on."""
    async with db.transaction() as s:
        due = list((await s.execute(select(OutboxMessage.id).where(
            OutboxMessage.status == "pending", OutboxMessage.due_at <= now))).scalars())
        sent = [i for i in due if rnd.random() < 0.7]
        if sent:
            await s.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent))
                            .values(status="sent", sent_at=now))
        n = (await s.execute(select(func.count()).select_from(Partner))).scalar_one()
        for pid in rnd.sample(range(1, n + 1), n // 12):
            back = now - timedelta(minutes=rnd.choice((0, 3, 90)))
            state = rnd.choice(("module", "menu", "onboard_name"))
            await s.execute(update(Partner).where(Partner.id == pid).values(
                last_active_at=back, state=state,
                module_id="promo" if state == "module" else None,
                step_id="why" if state == "module" else None))


@pytest.mark.parametrize("kind", KINDS)
async def test_prefiltered_pass_plans_exactly_what_the_rules_decide(
        kind: str, database: Database, library: PackLibrary, settings: Settings) -> None:
    # the calendar story starts on the eve of 11.11; the others on an ordinary day
    start = (datetime(2025, 11, 9, 18, tzinfo=UTC) if kind == "calendar"
             else datetime(2025, 3, 12, 6, 30, tzinfo=UTC))
    clock = FixedClock(start)
    planner = Planner(database, library, settings, clock, batch_size=37,
                      sources=nudge_sources())
    await seed(database, population(kind, start))
    rnd = random.Random(kind)
    planned_total = cancelled_total = 0
    for step in STEPS:
        clock.current = start + step
        now = clock.now()
        expected_planned, expected_cancelled = await unfiltered(planner, now)
        before = await outbox_state(database)
        stats = await planner.run_pass()
        after = await outbox_state(database)
        inserted = {(pid, key, due) for i, (pid, key, due, _) in after.items()
                    if i not in before}
        cancelled = {i for i, row in before.items()
                     if row[3] == "pending" and after[i][3] == "cancelled"}
        assert inserted == expected_planned, f"{kind} at +{step}"
        assert cancelled == expected_cancelled, f"{kind} at +{step}"
        assert stats.cancelled == len(cancelled)
        # and it reads few partners: right after a pass, only those with a nudge waiting
        # (judged for cancellation) and the odd one whose due nudge the rules cannot place
        async with database.transaction() as s:
            again = set(await planner.candidate_ids(s, now))
            waiting = set((await s.execute(select(OutboxMessage.partner_id).where(
                OutboxMessage.status == "pending"))).scalars())
        window = len(await unfiltered_partners(planner, now))
        if kind != "calendar":  # on a calendar eve every promoter is read, as before
            assert len(again - waiting) <= window // 2, f"{kind} at +{step}"
        planned_total += len(inserted)
        cancelled_total += len(cancelled)
        await life_goes_on(database, rnd, now)
    assert planned_total >= 20  # the story really exercises the rules
    if kind in ("stalled", "module_finished", "inactive"):
        assert cancelled_total > 0
