"""A backlog larger than a pass's bound (`Settings.planner_max_partners`, or the time budget
`planner_pass_budget`) is judged over several passes: together they plan exactly what one
unbounded pass plans, every candidate gets its turn, and what changes during those passes is
judged in the next round."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import NudgeQuiet, OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress
from handlers.missions.models import MissionSubmission
from handlers.registry import nudge_sources
from scheduler.planner import PassStats, Planner
from scheduler.service import SchedulerService
from tests.missions import test_nudge_verdicts as verdicts
from tests.scheduler.test_prefilter import life_goes_on, population, seed, unfiltered

START = datetime(2025, 3, 12, 6, 30, tzinfo=UTC)
BOUND = 17


def planner(database: Database, library: PackLibrary, settings: Settings, clock: FixedClock,
            bound: int) -> Planner:
    return Planner(database, library, settings.model_copy(update={"planner_max_partners": bound}),
                   clock, batch_size=7, sources=nudge_sources())


async def written(db: Database) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """What passes wrote: the outbox rows (without their ids) and the quiet verdicts."""
    async with db.transaction() as s:
        rows = (await s.execute(select(
            OutboxMessage.partner_id, OutboxMessage.dedupe_key, OutboxMessage.due_at,
            OutboxMessage.status, OutboxMessage.payload, OutboxMessage.seen_active,
            OutboxMessage.valid_until))).all()
        quiet = (await s.execute(select(NudgeQuiet.partner_id, NudgeQuiet.seen_active,
                                        NudgeQuiet.until))).all()
    return ({(*r[:4], repr(r[4]), *r[5:]) for r in rows}, {tuple(q) for q in quiet})


async def planned_in_one_pass(database: Database, library: PackLibrary, settings: Settings,
                              kind: str) -> tuple[list[int], PassStats, Any]:
    """A population's backlog planned in one unbounded pass: its candidates, the pass and
    what it wrote; then the outbox and the verdicts are emptied (the backlog again)."""
    await seed(database, population(kind, START, n=400))
    whole = planner(database, library, settings, FixedClock(START), 0)
    async with database.transaction() as s:
        candidates = await whole.candidate_ids(s, START)
    one = await whole.run_pass()
    assert not one.more and one.planned >= 20
    expected = await written(database)
    async with database.transaction() as s:
        await s.execute(delete(OutboxMessage))
        await s.execute(delete(NudgeQuiet))
    return candidates, one, expected


async def round_of_passes(planner: Planner) -> list[int]:
    """Passes at one moment until one reaches the last candidate: the partners each judged."""
    judged: list[int] = []
    while True:
        stats = await planner.run_pass()
        judged.append(stats.partners)
        if not stats.more:
            return judged
        assert len(judged) < 100


@pytest.mark.parametrize("kind", ["inactive", "stalled", "module_finished", "quiz_failed"])
async def test_bounded_passes_plan_what_one_pass_plans(
        kind: str, database: Database, library: PackLibrary, settings: Settings) -> None:
    clock = FixedClock(START)
    candidates, one, expected = await planned_in_one_pass(database, library, settings, kind)
    bounded = planner(database, library, settings, clock, BOUND)
    judged = await round_of_passes(bounded)
    assert await written(database) == expected
    # every candidate judged once, the bound kept, in as few passes as the bound allows
    assert sum(judged) == one.partners == len(candidates)
    assert max(judged) <= BOUND
    assert len(judged) == math.ceil(len(candidates) / BOUND) >= 3


class Stopwatch:
    """Real time as a pass sees it: one second more each time it is read."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        self.seconds += 1.0
        return self.seconds


@pytest.mark.parametrize("kind", ["inactive", "module_finished"])
async def test_a_pass_over_its_time_budget_leaves_the_rest_to_the_next_pass(
        kind: str, database: Database, library: PackLibrary, settings: Settings) -> None:
    """A slow machine (or a busy database) makes batches take long: a pass stops taking
    batches once its budget is spent, and the next passes go on from there until, together,
    they planned what one pass without a budget plans."""
    clock = FixedClock(START)
    candidates, _, expected = await planned_in_one_pass(database, library, settings, kind)
    # the pass starts at 1 s; after one batch 1 s is spent (a second batch fits in 2.5 s),
    # after the second 2 s: a third would end at 3 s, over the budget
    budgeted = Planner(database, library,
                       settings.model_copy(update={"planner_max_partners": 0,
                                                   "planner_pass_budget": 2.5}),
                       clock, batch_size=7, sources=nudge_sources(), timer=Stopwatch())
    judged = await round_of_passes(budgeted)
    assert await written(database) == expected
    assert sum(judged) == len(candidates)
    assert max(judged) == 14  # two batches of 7 a pass
    assert len(judged) == math.ceil(len(candidates) / 14) >= 3


class CountingPlanner(Planner):
    """The planner, noting how many partners each of its passes judged."""

    passes: list[int]

    async def run_pass(self, limit: int | None = None) -> PassStats:
        stats = await super().run_pass(limit)
        self.passes = [*getattr(self, "passes", []), stats.partners]
        return stats


@pytest.mark.parametrize("bound", [0, 30])
async def test_the_planning_job_goes_on_with_short_passes_up_to_its_bound(
        bound: int, bot: CoachBot, database: Database, library: PackLibrary,
        settings: Settings) -> None:
    """Passes cut short by their time budget follow one another within one planning interval
    (after a pause) until the backlog is judged, or as many partners as the dispatcher can
    send to before the next interval."""
    await seed(database, population("inactive", START, n=600))
    clock = FixedClock(START)
    service = SchedulerService.for_app(bot, {}, schedule=False, dispatch=False)
    service.pass_pause = 0
    service.planner = CountingPlanner(
        database, library, settings.model_copy(update={"planner_max_partners": bound,
                                                        "planner_pass_budget": 2.5}),
        clock, batch_size=7, sources=nudge_sources(), timer=Stopwatch())
    async with database.transaction() as s:
        candidates = len(await service.planner.candidate_ids(s, START))
    assert candidates > 60
    await service.plan_job()
    passes = service.planner.passes
    assert max(passes) <= 14  # every pass within its budget: two batches of 7
    if bound:  # the interval's share judged, the rest left for the next interval
        assert sum(passes) == bound and len(passes) == 3
        await service.plan_job()
        assert sum(service.planner.passes) == 2 * bound
    else:  # the whole backlog judged in one interval
        assert sum(passes) == candidates and len(passes) == math.ceil(candidates / 14)


async def test_what_changes_during_a_round_is_judged_in_the_next(
        database: Database, library: PackLibrary, settings: Settings) -> None:
    """Partners act and the dispatcher sends while a bounded round is under way (some behind
    its cursor): once the next round is over, nothing the rules would plan or cancel is left,
    as after an unbounded pass."""
    await seed(database, population("stalled", START, n=240))
    clock = FixedClock(START)
    bounded = planner(database, library, settings, clock, BOUND)
    rnd = random.Random(19)
    rounds = passes = 0
    while rounds < 2:
        stats = await bounded.run_pass()
        passes += 1
        if rounds == 0 and passes % 2:  # only during the first round
            await life_goes_on(database, rnd, clock.now())
        rounds += not stats.more
        clock.current += timedelta(minutes=5)
        assert passes < 200
    assert passes > 4  # the rounds really took several passes
    clock.current -= timedelta(minutes=5)  # the moment of the last pass
    planned, stale = await unfiltered(bounded, clock.now())
    assert planned == set() and stale == set()


async def test_a_coachs_change_behind_the_cursor_is_judged_in_the_next_round(
        database: Database, library: PackLibrary, settings: Settings) -> None:
    """A coach approves the proof of a partner whose reminder the round already planned:
    the next round still looks at changes from before this round began, and cancels it."""
    start = datetime(2026, 11, 3, 2, 10, tzinfo=UTC)  # 10:10 in Makassar
    done = start - timedelta(days=6)  # promo finished: the first video is due tomorrow
    async with database.transaction() as s:
        await s.execute(insert(Partner), [verdicts.partner(p, done) for p in range(1, 31)])
        await s.execute(insert(ModuleProgress), [
            dict(partner_id=p, module_id=m, step_id="plan", started_at=done, updated_at=done,
                 completed_at=done) for p in range(1, 31) for m in ("basics", "promo")])
        await s.execute(insert(MissionSubmission), [
            dict(partner_id=p, mission_id="first-video", status="changes", kind="link",
                 text="https://v.example", target_met=False, created_at=done)
            for p in range(1, 31)])
    clock = FixedClock(start)
    bounded = planner(database, library, settings, clock, 5)
    first = await bounded.run_pass()
    assert first.more and first.planned == 5  # partners 1-5: their reminders wait
    async with database.transaction() as s:
        await s.execute(update(MissionSubmission).where(MissionSubmission.partner_id == 1)
                        .values(status="approved", reviewed_at=start + timedelta(minutes=2)))
    rounds = passes = 0
    while rounds < 2:
        clock.current += timedelta(minutes=5)
        rounds += not (await bounded.run_pass()).more
        passes += 1
        assert passes < 100
    async with database.transaction() as s:
        status = (await s.execute(select(OutboxMessage.status).where(
            OutboxMessage.dedupe_key == "n:1:mrem:first-video"))).scalar_one()
    assert status == "cancelled"
    assert await unfiltered(bounded, clock.now()) == (set(), set())
