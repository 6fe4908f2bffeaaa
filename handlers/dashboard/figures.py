"""The dashboard's figures, read from counters the database keeps current (migration 0017:
triggers re-derive a partner's facts when their rows change and add the difference to
`dash_counts`), so a page sums a few hundred rows instead of counting every partner.

A page filters by cohort: `None` is everyone, `NO_COHORT` the partners without a cohort,
any other value a cohort's join code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cohort, Partner, Role
from handlers.dashboard.models import DashCount
from handlers.learning.repo import finished_program
from handlers.learning.repo import stalled as stalled_where
from handlers.tickets.models import CoachTicket, TicketStatus
from handlers.webinars.models import Webinar, WebinarRsvp

NO_COHORT = "-"
FINAL = "final"


@dataclass(frozen=True)
class CohortRow:
    code: str
    name: str
    pack_id: str
    partners: int
    onboarded: int = 0


@dataclass(frozen=True)
class Funnel:
    joined: int
    onboarded: int
    modules: dict[str, int]  # module id -> partners who finished it
    final_passed: int
    missions: dict[str, int] = field(default_factory=dict)  # mission id -> approved partners


@dataclass(frozen=True)
class PassRate:
    quiz_id: str
    attempted: int  # partners with a finished attempt
    passed: int  # partners who passed at least once
    attempts: int


@dataclass(frozen=True)
class StalledRow:
    partner_id: int
    name: str | None
    external_id: str
    state: str
    module_id: str | None
    step_id: str | None
    last_active_at: datetime


@dataclass(frozen=True)
class Readiness:
    background: str  # "" for every background together
    statement_id: str
    before: float | None
    before_n: int
    after: float | None
    after_n: int


@dataclass(frozen=True)
class QuizItem:
    quiz_id: str
    question_id: str
    answers: int
    misses: int
    top_wrong: str | None  # the wrong option chosen most
    top_wrong_n: int

    @property
    def miss_rate(self) -> float:
        return self.misses / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class TicketRow:
    id: int
    partner_id: int
    name: str | None
    external_id: str
    text: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class RsvpRow:
    partner_id: int
    name: str | None
    external_id: str
    answer: str
    updated_at: datetime


class Figures:
    """Read-only aggregates for the dashboard, in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session
        self._ids: dict[str, int] = {}  # cohort code -> id, once per unit of work

    async def _sums(self, code: str | None, kind: str, *by: Any,
                    background: str | None = None) -> list[Any]:
        """The counters of one kind summed over cohorts, backgrounds and shards, grouped `by`:
        each row is (*by, partners m, sum of n, sum of s). A few hundred rows at most."""
        where = [DashCount.kind == kind]
        if code == NO_COHORT:
            where.append(DashCount.cohort_id == 0)
        elif code is not None:
            where.append(DashCount.cohort_id == await self._cohort_id(code))
        if background:
            where.append(DashCount.background == background)
        m = func.sum(DashCount.m)
        rows = await self.s.execute(
            select(*by, m, func.sum(DashCount.n), func.sum(DashCount.s))
            .where(*where).group_by(*by).having(m > 0))
        return [(*r[:-3], int(r[-3]), int(r[-2] or 0), int(r[-1] or 0)) for r in rows.all()]

    async def cohorts(self) -> list[CohortRow]:
        """Every cohort with how many partners joined and finished onboarding (and the
        partners without a cohort), from the counters."""
        counts = {cid: (m, n) for cid, m, n, _ in await self._sums(
            None, "partner", DashCount.cohort_id)}
        out = [CohortRow(code, name, pack, *counts.get(cid, (0, 0)))
               for cid, code, name, pack in (await self.s.execute(
                   select(Cohort.id, Cohort.code, Cohort.name, Cohort.pack_id)
                   .order_by(Cohort.code))).all()]
        if 0 in counts:
            out.append(CohortRow(NO_COHORT, "", "", *counts[0]))
        return out

    async def cohort_codes(self) -> list[CohortRow]:
        """The cohorts for a page's filter (no counting)."""
        rows = await self.s.execute(select(Cohort.code, Cohort.name, Cohort.pack_id)
                                    .order_by(Cohort.code))
        return [CohortRow(code, name, pack, 0) for code, name, pack in rows.all()] + [
            CohortRow(NO_COHORT, "", "", 0)]

    async def cohort_pack(self, code: str | None) -> str | None:
        if code is None or code == NO_COHORT:
            return None
        return (await self.s.execute(select(Cohort.pack_id).where(Cohort.code == code))
                ).scalar_one_or_none()

    async def _cohort_id(self, code: str) -> int:
        if code not in self._ids:
            cid = (await self.s.execute(select(Cohort.id).where(Cohort.code == code))
                   ).scalar_one_or_none()
            self._ids[code] = cid if cid is not None else -1  # an unknown code: nobody
        return self._ids[code]

    async def _in_cohort(self, code: str | None) -> ColumnElement[bool]:
        """The partners of the page's cohort filter, as a condition on `partners`."""
        base = Partner.role == Role.PARTNER.value
        if code is None:
            return base
        if code == NO_COHORT:
            return base & Partner.cohort_id.is_(None)
        return base & (Partner.cohort_id == await self._cohort_id(code))

    async def funnel(self, code: str | None, groups: list[CohortRow],
                     rates: list[PassRate]) -> Funnel:
        """The funnel from the cohorts' counts and the pass rates, plus finished modules and
        approved missions (partners per module / mission, from the counters)."""
        mine = [g for g in groups if code is None or g.code == code]
        modules = await self._sums(code, "module", DashCount.k1)
        missions = await self._sums(code, "mission", DashCount.k1)
        final = next((r.passed for r in rates if r.quiz_id == FINAL), 0)
        return Funnel(sum(g.partners for g in mine), sum(g.onboarded for g in mine),
                      {k: m for k, m, _, _ in modules}, final,
                      {k: m for k, m, _, _ in missions})

    async def pass_rates(self, code: str | None) -> list[PassRate]:
        """Per quiz: partners with a finished attempt, partners who passed, attempts."""
        rows = await self._sums(code, "quiz", DashCount.k1)
        return [PassRate(q, m, s, n) for q, m, n, s in sorted(rows)]

    async def stalled(self, code: str | None, now: datetime, idle_for: timedelta,
                      limit: int = 100) -> tuple[int, list[StalledRow]]:
        """How many partners stalled, and the longest idle of them with where they stopped.

        Stalled = still in the program (a counter) minus those of them active within
        `idle_for` (an index range on last_active_at: the recent few, not the idle many)."""
        in_program = sum(s for _, _, s in await self._sums(code, "partner"))
        active = (await self._in_cohort(code)) & Partner.opted_out.is_(False) & (
            Partner.last_active_at >= now - idle_for) & ~finished_program()
        recent = (await self.s.execute(select(func.count()).select_from(Partner).where(active))
                  ).scalar_one()
        rows = await self.s.execute(
            select(Partner.id, Partner.name, Partner.external_id, Partner.state,
                   Partner.module_id, Partner.step_id, Partner.last_active_at)
            .where((await self._in_cohort(code)) & stalled_where(now, idle_for))
            .order_by(Partner.last_active_at, Partner.id).limit(limit))
        return in_program - int(recent), [StalledRow(*r) for r in rows.all()]

    async def readiness(self, code: str | None, background: str | None = None
                        ) -> list[Readiness]:
        """Mean rating before and after per statement, per background and for everyone
        (summed from the backgrounds' totals)."""
        rows = await self._sums(code, "rating", DashCount.background, DashCount.k1,
                                DashCount.k2, background=background)
        sums: dict[tuple[str, str], list[int]] = {}
        for group, phase, sid, m, _, total in rows:
            acc = sums.setdefault((group, sid), [0, 0, 0, 0])
            i = 0 if phase == "before" else 2
            acc[i] += total
            acc[i + 1] += m
        totals: dict[str, list[int]] = {}
        out: list[Readiness] = []
        for (group, sid), acc in sums.items():
            out.append(_readiness(group, sid, acc))
            totals[sid] = [x + y for x, y in zip(totals.get(sid, [0, 0, 0, 0]), acc,
                                                 strict=True)]
        return [_readiness("", sid, acc) for sid, acc in totals.items()] + out

    async def quiz_items(self, code: str | None) -> list[QuizItem]:
        """Each question's answers and misses, and the wrong option chosen most: the counters
        per (quiz, question, option), summed per question here."""
        rows = await self._sums(code, "answer", DashCount.k1, DashCount.k2, DashCount.k3)
        answers: dict[tuple[str, str], list[int]] = {}
        top: dict[tuple[str, str], tuple[str, int]] = {}
        for quiz, question, option, _, n, right in rows:
            key = (quiz, question)
            counts = answers.setdefault(key, [0, 0])
            counts[0] += n
            wrong = n - right
            if wrong:
                counts[1] += wrong
                seen = top.get(key)
                if seen is None or (wrong, seen[0]) > (seen[1], option):
                    top[key] = (option, wrong)
        items = [QuizItem(quiz, question, n, misses, *top.get((quiz, question), (None, 0)))
                 for (quiz, question), (n, misses) in answers.items() if n]
        return sorted(items, key=lambda i: (-i.miss_rate, i.quiz_id, i.question_id))

    async def open_tickets(self, limit: int = 200) -> list[TicketRow]:
        rows = await self.s.execute(
            select(CoachTicket.id, CoachTicket.partner_id, Partner.name, Partner.external_id,
                   CoachTicket.text, CoachTicket.status, CoachTicket.created_at)
            .join(Partner, Partner.id == CoachTicket.partner_id)
            .where(CoachTicket.status != TicketStatus.CLOSED.value)
            .order_by(CoachTicket.created_at, CoachTicket.id).limit(limit))
        return [TicketRow(*r) for r in rows.all()]

    async def rsvps(self, webinar_id: int, limit: int | None = None) -> list[RsvpRow]:
        rows = await self.s.execute(
            select(Partner.id, Partner.name, Partner.external_id, WebinarRsvp.answer,
                   WebinarRsvp.updated_at)
            .join(Partner, Partner.id == WebinarRsvp.partner_id)
            .where(WebinarRsvp.webinar_id == webinar_id)
            .order_by(WebinarRsvp.answer.desc(), Partner.name, Partner.id).limit(limit))
        return [RsvpRow(*r) for r in rows.all()]

    async def rsvp_counts(self) -> dict[int, tuple[int, int]]:
        """webinar id -> (yes, no)."""
        yes = WebinarRsvp.answer == "yes"
        rows = await self.s.execute(
            select(WebinarRsvp.webinar_id, func.count(case((yes, 1))),
                   func.count(case((~yes, 1))))
            .join(Webinar, Webinar.id == WebinarRsvp.webinar_id)
            .where(true()).group_by(WebinarRsvp.webinar_id))
        return {w: (int(y), int(n)) for w, y, n in rows.all()}


def _readiness(background: str, statement_id: str, sums: list[int]) -> Readiness:
    b_sum, b_n, a_sum, a_n = sums
    return Readiness(background, statement_id, b_sum / b_n if b_n else None, b_n,
                     a_sum / a_n if a_n else None, a_n)
