"""A waiting nudge keeps its verdict until something about its partner changes.

The planner stores with each nudge it plans (or finds still valid) the partner's last
activity it judged and when the reason expires, and re-judges a waiting nudge only when the
partner acted since, the reason expired, or a source names a change made by someone else (a
coach's review). Likewise a partner judged with nothing to plan is judged again only when
they change or one of their reasons comes due. These stories check each way a verdict
changes, that every pass still plans and cancels exactly what the rules decide unfiltered,
and that a pass with nothing changed judges no waiting nudge, nor a partner it gave nothing.
The last test checks the contract that makes this exact: for unchanged facts, every key a
rule yields stays yielded until it expires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress
from handlers.missions.models import MissionSubmission, ReviewItem
from handlers.registry import nudge_sources
from scheduler.nudging import candidates
from scheduler.planner import Planner, calendar_near
from tests.missions import test_mission_prefilter as missions_story
from tests.scheduler import test_prefilter as learning_story
from tests.scheduler.test_prefilter import outbox_state, unfiltered

START = datetime(2026, 11, 3, 2, 30, tzinfo=UTC)  # 10:30 in Makassar


def partner(pid: int, last: datetime, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict(
        id=pid, channel="console", external_id=f"p{pid}", chat_id=f"p{pid}",
        name=f"Mitra {pid}", language="en", timezone="Asia/Makassar", role="partner",
        pack_id="example", state="menu", module_id=None, step_id=None,
        onboarded_at=last - timedelta(days=30), opted_out=False, blocked=False,
        created_at=last - timedelta(days=31), last_active_at=last)
    row.update(over)
    return row


async def checked_pass(planner: Planner, clock: FixedClock,
                       at: datetime) -> tuple[set[str], set[str], int]:
    """A pass at `at`, checked against the unfiltered rules: the keys it planned and
    cancelled, and how many partners it judged."""
    clock.current = at
    expected_planned, expected_cancelled = await unfiltered(planner, at)
    before = await outbox_state(planner.db)
    stats = await planner.run_pass()
    after = await outbox_state(planner.db)
    inserted = {(pid, key, due) for i, (pid, key, due, _) in after.items() if i not in before}
    cancelled = {i for i, row in before.items()
                 if row[3] == "pending" and after[i][3] == "cancelled"}
    assert inserted == expected_planned
    assert cancelled == expected_cancelled
    return ({key for _, key, _ in inserted}, {before[i][1] for i in cancelled},
            stats.partners)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def planner(database: Database, library: PackLibrary, settings: Settings,
            clock: FixedClock) -> Planner:
    return Planner(database, library, settings, clock, sources=nudge_sources())


async def test_finishing_a_module_while_a_stalled_nudge_waits(
        database: Database, planner: Planner, clock: FixedClock) -> None:
    # stopped mid-module a day ago: the stalled reminder is planned, then waits (quiet
    # hours are not in the way at 10:30 local; the dispatcher is not running)
    async with database.transaction() as s:
        await s.execute(insert(Partner), [
            partner(1, START - timedelta(hours=25), state="module", module_id="basics",
                    step_id="why"),
            partner(2, START - timedelta(hours=25), state="module", module_id="basics",
                    step_id="why")])
        await s.execute(insert(ModuleProgress), [
            dict(partner_id=p, module_id="basics", step_id="why", started_at=START,
                 updated_at=START, completed_at=None) for p in (1, 2)])
    planned, _, _ = await checked_pass(planner, clock, START)
    assert {k.split(":")[2] for k in planned} == {"stall"}
    # nothing changed: the next pass judges neither waiting nudge
    _, cancelled, judged = await checked_pass(planner, clock, START + timedelta(minutes=5))
    assert (cancelled, judged) == (set(), 0)
    # partner 1 finishes the module (their turn moves their last activity)
    done = START + timedelta(minutes=20)
    async with database.transaction() as s:
        await s.execute(update(Partner).where(Partner.id == 1).values(
            state="menu", module_id=None, step_id=None, last_active_at=done))
        await s.execute(update(ModuleProgress).where(ModuleProgress.partner_id == 1)
                        .values(completed_at=done, updated_at=done))
    _, cancelled, judged = await checked_pass(planner, clock, done + timedelta(minutes=5))
    assert cancelled == {f"n:1:stall:basics:why:{int((START - timedelta(hours=25)).timestamp())}"}
    assert judged == 1  # partner 2's nudge still holds, unread
    # and a day later partner 1 gets the "next module" nudge for the module they finished
    planned, _, _ = await checked_pass(planner, clock, done + timedelta(days=1))
    assert "n:1:mfin:basics" in planned


async def test_activity_stamped_earlier_than_the_last_pass_still_counts(
        database: Database, planner: Planner, clock: FixedClock) -> None:
    """A turn's last activity is the moment it began; it may commit after a pass that began
    later. The verdict compares the last activity judged, not times."""
    async with database.transaction() as s:
        await s.execute(insert(Partner), [partner(1, START - timedelta(hours=25),
                                                  state="module", module_id="basics",
                                                  step_id="why")])
    await checked_pass(planner, clock, START)
    async with database.transaction() as s:  # back in the menu 10 minutes before that pass
        await s.execute(update(Partner).where(Partner.id == 1).values(
            state="menu", module_id=None, step_id=None,
            last_active_at=START - timedelta(minutes=10)))
    _, cancelled, _ = await checked_pass(planner, clock, START + timedelta(minutes=5))
    assert len(cancelled) == 1


async def test_a_coachs_approval_cancels_the_waiting_reminder(
        database: Database, planner: Planner, clock: FixedClock) -> None:
    # promo finished 6 days ago, proof sent back for a change: the reminder (deadline
    # tomorrow) is planned at 10:10 local and waits
    done = START - timedelta(days=6)
    async with database.transaction() as s:
        await s.execute(insert(Partner), [partner(1, done), partner(2, done)])
        await s.execute(insert(ModuleProgress), [
            dict(partner_id=p, module_id=m, step_id="plan", started_at=done, updated_at=done,
                 completed_at=done) for p in (1, 2) for m in ("basics", "promo")])
        await s.execute(insert(MissionSubmission), [
            dict(partner_id=p, mission_id="first-video", status="changes", kind="link",
                 text="https://v.example", target_met=False, created_at=done)
            for p in (1, 2)])
    planned, _, _ = await checked_pass(planner, clock, START - timedelta(minutes=20))
    assert {"n:1:mrem:first-video", "n:2:mrem:first-video"} <= planned
    # a coach approves partner 1's proof from the dashboard: no turn of theirs
    async with database.transaction() as s:
        await s.execute(update(MissionSubmission).where(MissionSubmission.partner_id == 1)
                        .values(status="approved", reviewed_at=START - timedelta(minutes=15)))
    _, cancelled, judged = await checked_pass(planner, clock, START - timedelta(minutes=10))
    assert cancelled == {"n:1:mrem:first-video"}
    assert judged == 1


async def test_a_waiting_nudge_is_cancelled_when_its_reason_expires(
        database: Database, planner: Planner, clock: FixedClock) -> None:
    # onboarding left unfinished 2 hours ago; the reminder waits unsent past the week after
    # which the reason expires
    async with database.transaction() as s:
        await s.execute(insert(Partner), [partner(1, START - timedelta(hours=2),
                                                  state="onboard_name", onboarded_at=None)])
    planned, _, _ = await checked_pass(planner, clock, START)
    assert {k.split(":")[2] for k in planned} == {"onb"}
    for hours in (30, 100, 160):
        _, cancelled, judged = await checked_pass(planner, clock,
                                                  START + timedelta(hours=hours))
        assert (cancelled, judged) == (set(), 0)
    _, cancelled, judged = await checked_pass(planner, clock, START + timedelta(days=7))
    assert len(cancelled) == 1 and judged == 1
    async with database.transaction() as s:
        reason = (await s.execute(select(OutboxMessage.last_error))).scalar_one()
    assert reason == "reason gone"


async def test_a_fresh_planner_judges_every_waiting_nudge_once(
        database: Database, library: PackLibrary, settings: Settings, planner: Planner,
        clock: FixedClock) -> None:
    async with database.transaction() as s:
        await s.execute(insert(Partner), [
            partner(p, START - timedelta(hours=25), state="module", module_id="basics",
                    step_id="why") for p in (1, 2, 3)])
    await checked_pass(planner, clock, START)
    # another process (a restart) knows nothing of changes by others since the last pass
    fresh = Planner(database, library, settings, clock, sources=nudge_sources())
    _, _, judged = await checked_pass(fresh, clock, START + timedelta(minutes=5))
    assert judged == 3
    _, _, judged = await checked_pass(fresh, clock, START + timedelta(minutes=10))
    assert judged == 0


async def test_a_partner_given_nothing_is_judged_again_when_something_comes_due(
        database: Database, planner: Planner, clock: FixedClock) -> None:
    # first video unlocked 5 days ago, due the day after tomorrow: its reminder comes due
    # tomorrow at 10:00 local (02:00 UTC); the pre-filter reads both partners already
    done = START - timedelta(days=5)
    async with database.transaction() as s:
        await s.execute(insert(Partner), [partner(1, done), partner(2, done)])
        await s.execute(insert(ModuleProgress), [
            dict(partner_id=p, module_id=m, step_id="plan", started_at=done, updated_at=done,
                 completed_at=done) for p in (1, 2) for m in ("basics", "promo")])
    planned, _, judged = await checked_pass(planner, clock, START)
    assert (planned, judged) == (set(), 2)
    _, _, judged = await checked_pass(planner, clock, START + timedelta(hours=5))
    assert judged == 0
    # the scheduler's sync gives partner 2 a question to review (no turn of theirs)
    at = START + timedelta(hours=6)
    async with database.transaction() as s:
        await s.execute(insert(ReviewItem), [dict(
            partner_id=2, quiz_id="basics", question_id="q1", box=0, due_at=at,
            mastered=False, updated_at=at)])
    planned, _, judged = await checked_pass(planner, clock, at + timedelta(minutes=5))
    assert judged == 1 and {k.split(":")[2] for k in planned} == {"rev"}
    planned, _, judged = await checked_pass(
        planner, clock, datetime(2026, 11, 4, 1, 56, tzinfo=UTC))
    assert "n:1:mrem:first-video" in planned


@pytest.mark.parametrize("story", [*learning_story.KINDS, "missions"])
async def test_for_unchanged_facts_a_key_stays_until_it_expires(
        story: str, database: Database, planner: Planner) -> None:
    """The rules' contract the verdicts rely on: with no change to a partner's data, every
    nudge the rules propose and a pass could plan at some moment (due within the lookahead)
    is still proposed at every later moment before it expires (its facts read again at each
    moment, as a pass reads them)."""
    if story == "missions":
        start = START
        await missions_story.seed(database, start)
    else:
        start = (datetime(2025, 11, 9, 18, tzinfo=UTC) if story == "calendar"
                 else datetime(2025, 3, 12, 6, 30, tzinfo=UTC))
        await learning_story.seed(database, learning_story.population(story, start))
    later = [timedelta(minutes=m) for m in (1, 61)] + [timedelta(hours=h) for h in
                                                       (5, 13, 23, 30, 50, 80, 130, 200)]
    checked = 0
    for t0 in (start, start + timedelta(hours=9), start + timedelta(days=2)):
        ahead = t0 + planner.config("example").lookahead
        proposed = {pid: {k: exp for k, (due, exp) in found.items() if due <= ahead}
                    for pid, found in (await _proposed(planner, t0)).items()}
        for dt in later:
            t = t0 + dt
            still = await _proposed(planner, t)
            for pid, found in proposed.items():
                for key, expires in found.items():
                    if expires is None or t < expires:
                        assert key in still.get(pid, {}), f"{key} at {t0} + {dt}"
                        checked += 1
    assert checked > 1000  # the story really has reasons to keep


async def _proposed(planner: Planner,
                    now: datetime) -> dict[int, dict[str, tuple[datetime, datetime | None]]]:
    """Every partner's proposed keys, due and expiry at `now`, facts read at `now`."""
    async with planner.db.transaction() as s:
        batch = await planner._load(s, Partner.id.is_not(None), now,
                                    calendar=calendar_near(now))
    return {pid: {n.key: (n.due_at, n.expires_at)
                  for n in candidates(f, planner.config(batch.targets[pid].pack_id), now)}
            for pid, f in batch.facts.items()}
