"""The dashboard's counters (kept by database triggers, migration 0017) always equal a direct
count of the rows: after partners progress through the chat, retake quizzes, change cohort,
background or role, opt out, get missions approved and withdrawn, delete their data, and after
a cohort is deleted. The expected figures are computed here in Python from every row."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.models import Cohort, Partner, Role
from bot.storage.repos import Repos
from handlers.coaches.roles import set_role
from handlers.dashboard.figures import NO_COHORT, Figures, PassRate, QuizItem, Readiness
from handlers.dashboard.models import DashCount, DashFact
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAnswer, QuizAttempt
from handlers.missions.models import MissionSubmission
from tests.dashboard.test_pages import batch_one
from tests.fixtures.chat import Chat

CODES = (None, "batch1", "batch2", NO_COHORT, "nope")
IDLE = timedelta(days=3)


async def _rows(bot: CoachBot) -> dict[str, list[Any]]:
    async with bot.db.transaction() as s:
        out = {}
        for name, model in (("partners", Partner), ("progress", ModuleProgress),
                            ("attempts", QuizAttempt), ("answers", QuizAnswer),
                            ("ratings", AssessmentAnswer), ("missions", MissionSubmission),
                            ("cohorts", Cohort)):
            out[name] = list((await s.execute(select(model))).scalars().all())
        return out


def _expected(data: dict[str, list[Any]], code: str | None, bot: CoachBot) -> dict[str, Any]:
    """Every figure of one cohort filter, counted from the rows."""
    cohort_ids = {c.code: c.id for c in data["cohorts"]}
    members = {p.id: p for p in data["partners"] if p.role == Role.PARTNER.value and (
        code is None or (code == NO_COHORT and p.cohort_id is None)
        or (code not in (None, NO_COHORT) and p.cohort_id == cohort_ids.get(code, -1)))}
    attempts = {a.id: a for a in data["attempts"] if a.partner_id in members}
    modules = Counter(m.module_id for m in data["progress"]
                      if m.partner_id in members and m.completed_at is not None)
    missions = Counter(m for m, _ in {(s.mission_id, s.partner_id) for s in data["missions"]
                                      if s.partner_id in members and s.status == "approved"})
    rates = []
    for quiz in sorted({a.quiz_id for a in attempts.values() if a.finished_at}):
        done = [a for a in attempts.values() if a.quiz_id == quiz and a.finished_at]
        rates.append(PassRate(quiz, len({a.partner_id for a in done}),
                              len({a.partner_id for a in done if a.passed}), len(done)))
    finished = {a.partner_id for a in data["attempts"] if a.quiz_id == "final" and a.passed}
    now = bot.clock.now()
    stalled = sum(1 for p in members.values() if not p.opted_out and p.id not in finished
                  and p.last_active_at < now - IDLE)
    ratings: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in data["ratings"]:
        if r.partner_id in members:
            i = 0 if r.phase == "before" else 2
            for group in (members[r.partner_id].background or "other", ""):
                ratings[(group, r.statement_id)][i] += r.rating
                ratings[(group, r.statement_id)][i + 1] += 1
    readiness = _by_key(Readiness(g, sid, b / bn if bn else None, bn, a / an if an else None, an)
                       for (g, sid), (b, bn, a, an) in ratings.items())
    per_option: Counter[tuple[str, str, str]] = Counter()
    per_question: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for q in data["answers"]:
        if q.attempt_id in attempts:
            key = (attempts[q.attempt_id].quiz_id, q.question_id)
            per_question[key][0] += 1
            if not q.correct:
                per_question[key][1] += 1
                per_option[(*key, q.option_id)] += 1
    items = []
    for (quiz, question), (n, misses) in per_question.items():
        wrong = sorted(((-c, o) for (qz, qn, o), c in per_option.items()
                        if (qz, qn) == (quiz, question)))
        items.append(QuizItem(quiz, question, n, misses, wrong[0][1] if wrong else None,
                              -wrong[0][0] if wrong else 0))
    return dict(joined=len(members),
                onboarded=sum(1 for p in members.values() if p.onboarded_at is not None),
                modules=dict(modules), missions=dict(missions), rates=rates,
                final=next((r.passed for r in rates if r.quiz_id == "final"), 0),
                stalled=stalled, readiness=readiness,
                items=sorted(items, key=lambda i: (i.quiz_id, i.question_id)))


async def _shown(bot: CoachBot, code: str | None) -> dict[str, Any]:
    """The same figures as the dashboard reads them."""
    async with bot.db.transaction() as s:
        fig = Figures(s)
        groups = await fig.cohorts()
        rates = await fig.pass_rates(code)
        funnel = await fig.funnel(code, groups, rates)
        n_stalled, _ = await fig.stalled(code, bot.clock.now(), IDLE)
        return dict(joined=funnel.joined, onboarded=funnel.onboarded, modules=funnel.modules,
                    missions=funnel.missions, rates=rates, final=funnel.final_passed,
                    stalled=n_stalled, readiness=_by_key(await fig.readiness(code)),
                    items=sorted(await fig.quiz_items(code),
                                 key=lambda i: (i.quiz_id, i.question_id)))


async def _check(bot: CoachBot, step: str) -> None:
    data = await _rows(bot)
    for code in CODES:
        assert await _shown(bot, code) == _expected(data, code, bot), (step, code)
    everyone = _expected(data, None, bot)["readiness"]
    for bg in ("student", "worker", "other"):  # one background's readiness, as the page asks
        async with bot.db.transaction() as s:
            shown = _by_key(await Figures(s).readiness(None, bg))
        mine = [r for r in everyone if r.background == bg]
        assert shown == _by_key(mine + [replace(r, background="") for r in mine]), (step, bg)


def _by_key(rows: Any) -> list[Readiness]:
    return sorted(rows, key=lambda r: (r.background, r.statement_id))


async def _ids(bot: CoachBot) -> dict[str, int]:
    async with bot.db.transaction() as s:
        return dict((await s.execute(select(Partner.external_id, Partner.id))).all())


async def test_counters_equal_a_direct_count_as_partners_progress(
        bot: CoachBot, clock: FixedClock) -> None:
    people = await batch_one(bot)
    await _check(bot, "joined")
    wati = Chat(bot, user="wati")
    await wati.onboard(name="Wati", background="worker", ratings=5)
    await people["budi"].press("Retake")
    await people["budi"].press("Likes")
    await people["budi"].press("Nobody")
    await people["budi"].press("Menu")
    await people["budi"].press("Promotion")
    clock.advance(days=4)
    await people["sari"].send("/menu")
    await _check(bot, "progressed")

    ids = await _ids(bot)
    now = clock.now()
    async with bot.db.transaction() as s:  # Sari passes the final quiz; Dodi's waits
        for who, passed in (("sari", True), ("dodi", None)):
            attempt = QuizAttempt(partner_id=ids[who], quiz_id="final", started_at=now,
                                  finished_at=now if passed else None, score=2, total=2,
                                  passed=passed)
            s.add(attempt)
            await s.flush()
            s.add(QuizAnswer(attempt_id=attempt.id, question_id="f1", option_id="a",
                             correct=True, created_at=now))
        for who, status in (("sari", "approved"), ("sari", "approved"), ("budi", "waiting"),
                            ("dodi", "approved")):
            s.add(MissionSubmission(partner_id=ids[who], mission_id="first-post", status=status,
                                    kind="text", text="proof", created_at=now))
    await _check(bot, "final quiz and missions")

    async with bot.db.transaction() as s:  # one of Sari's approvals withdrawn, then Dodi's
        first = (await s.execute(select(MissionSubmission.id).where(
            MissionSubmission.partner_id == ids["sari"]).limit(1))).scalar_one()
        await s.execute(update(MissionSubmission).where(MissionSubmission.id == first)
                        .values(status="rejected"))
        await s.execute(update(MissionSubmission).where(
            MissionSubmission.partner_id == ids["dodi"]).values(status="rejected"))
        await s.execute(update(QuizAttempt).where(QuizAttempt.partner_id == ids["dodi"])
                        .values(finished_at=now, passed=False))
    await _check(bot, "reviews changed")

    async with bot.db.transaction() as s:  # Dodi moves to batch 1, Wati becomes a student
        batch1 = (await s.execute(select(Cohort.id).where(Cohort.code == "batch1"))
                  ).scalar_one()
        await s.execute(update(Partner).where(Partner.id == ids["dodi"])
                        .values(cohort_id=batch1))
        await s.execute(update(Partner).where(Partner.id == ids["wati"])
                        .values(background="student"))
    await _check(bot, "moved")

    await people["budi"].send("/stop")
    async with bot.db.transaction() as s:
        await set_role(Repos(s), channel="console", external_id="ani", role=Role.COACH,
                       pack_id="example", now=clock.now(), name="Ani")
    await _check(bot, "opted out, promoted")

    await people["budi"].send("/deletedata")
    await people["budi"].press("Yes, delete")
    async with bot.db.transaction() as s:  # batch 2 goes: its partners have no cohort now
        await s.execute(update(Partner).where(Partner.id == ids["sari"])
                        .values(cohort_id=(await s.execute(select(Cohort.id).where(
                            Cohort.code == "batch2"))).scalar_one()))
    await _check(bot, "data deleted")
    async with bot.db.transaction() as s:
        await s.execute(delete(Cohort).where(Cohort.code == "batch2"))
    await _check(bot, "cohort deleted")

    async with bot.db.transaction() as s:  # the counters are exactly the sums of the facts
        facts = (await s.execute(select(DashFact))).scalars().all()
        counts = (await s.execute(select(DashCount))).scalars().all()
    assert {f.partner_id for f in facts} <= set((await _ids(bot)).values())
    summed: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in facts:
        acc = summed[(f.kind, f.k1, f.k2, f.k3, f.cohort_id, f.background)]
        acc[0], acc[1], acc[2] = acc[0] + 1, acc[1] + f.n, acc[2] + f.s
    kept: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in counts:
        acc = kept[(c.kind, c.k1, c.k2, c.k3, c.cohort_id, c.background)]
        acc[0], acc[1], acc[2] = acc[0] + c.m, acc[1] + c.n, acc[2] + c.s
    assert {k: v for k, v in kept.items() if v != [0, 0, 0]} == dict(summed)


async def test_two_coaches_reviewing_one_partner_at_once_keep_the_counter_right(
        bot: CoachBot) -> None:
    """Coach 1 approves proof A while coach 2 rejects proof B of the same mission (approved
    before). Under READ COMMITTED each would see the other's change missing; the partner's
    refresh lock makes the second wait and see the first, so the mission still counts."""
    if not bot.db.is_postgres:
        pytest.skip("SQLite has one writer at a time")
    await batch_one(bot)
    sari = (await _ids(bot))["sari"]
    now = bot.clock.now()
    async with bot.db.transaction() as s:
        a, b = (MissionSubmission(partner_id=sari, mission_id="first-post", status=st,
                                  kind="text", text="proof", created_at=now)
                for st in ("waiting", "approved"))
        s.add_all([a, b])
    async with bot.db.engine.connect() as one, bot.db.engine.connect() as two:
        await one.begin()
        await one.execute(update(MissionSubmission).where(MissionSubmission.id == a.id)
                          .values(status="approved"))
        pid_two = (await two.execute(text("select pg_backend_pid()"))).scalar_one()
        await two.commit()
        await two.begin()
        second = asyncio.create_task(two.execute(
            update(MissionSubmission).where(MissionSubmission.id == b.id)
            .values(status="rejected")))
        # until coach 2 waits on the lock (or got through): PostgreSQL's state, no event
        while not second.done() and not await _waiting(one, pid_two):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await one.commit()
        await second
        await two.commit()
    await _check(bot, "concurrent reviews")


async def _waiting(conn: Any, pid: int) -> bool:
    """Whether that backend is waiting for a lock (asked outside the open transaction)."""
    async with conn.engine.connect() as probe:
        return bool((await probe.execute(text(
            "select wait_event_type = 'Lock' from pg_stat_activity where pid = :p"),
            {"p": pid})).scalar())
