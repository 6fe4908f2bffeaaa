"""The dashboard's figures, each one SQL aggregate (the database counts, Python only names).

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
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAnswer, QuizAttempt
from handlers.learning.repo import stalled as stalled_where
from handlers.missions.models import MissionSubmission
from handlers.missions.plan import Review
from handlers.tickets.models import CoachTicket, TicketStatus
from handlers.webinars.models import Webinar, WebinarRsvp

NO_COHORT = "-"
STAFF = tuple(r.value for r in Role if r is not Role.PARTNER)
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

    async def cohorts(self) -> list[CohortRow]:
        """Every cohort with how many partners joined and finished onboarding (and the
        partners without a cohort): one pass over the partners."""
        counts = {cid: (int(n), int(done)) for cid, n, done in (await self.s.execute(
            select(Partner.cohort_id, func.count(), func.count(Partner.onboarded_at))
            .where(Partner.role == Role.PARTNER.value).group_by(Partner.cohort_id))).all()}
        out = [CohortRow(code, name, pack, *counts.get(cid, (0, 0)))
               for cid, code, name, pack in (await self.s.execute(
                   select(Cohort.id, Cohort.code, Cohort.name, Cohort.pack_id)
                   .order_by(Cohort.code))).all()]
        if None in counts:
            out.append(CohortRow(NO_COHORT, "", "", *counts[None]))
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
        cid = (await self.s.execute(select(Cohort.id).where(Cohort.code == code))
               ).scalar_one_or_none()
        return cid if cid is not None else -1  # an unknown code matches nobody

    async def _in_cohort(self, code: str | None) -> ColumnElement[bool]:
        """The partners of the page's cohort filter, as a condition on `partners`."""
        base = Partner.role == Role.PARTNER.value
        if code is None:
            return base
        if code == NO_COHORT:
            return base & Partner.cohort_id.is_(None)
        return base & (Partner.cohort_id == await self._cohort_id(code))

    async def _members(self, code: str | None, partner_id: Any) -> ColumnElement[bool]:
        """The same filter on a table's partner id column. Everyone is "not a coach" (the
        few coaches are the short list), so the whole-program figures read no partner row."""
        if code is None:
            return partner_id.not_in(select(Partner.id).where(Partner.role.in_(STAFF)))
        return partner_id.in_(select(Partner.id).where(await self._in_cohort(code)))

    async def funnel(self, code: str | None, groups: list[CohortRow],
                     rates: list[PassRate]) -> Funnel:
        """The funnel from the cohorts' counts and the pass rates, plus finished modules."""
        mine = [g for g in groups if code is None or g.code == code]
        modules = await self.s.execute(
            select(ModuleProgress.module_id, func.count())
            .where(await self._members(code, ModuleProgress.partner_id),
                   ModuleProgress.completed_at.is_not(None))
            .group_by(ModuleProgress.module_id))
        final = next((r.passed for r in rates if r.quiz_id == FINAL), 0)
        missions = await self.s.execute(
            select(MissionSubmission.mission_id,
                   func.count(func.distinct(MissionSubmission.partner_id)))
            .where(await self._members(code, MissionSubmission.partner_id),
                   MissionSubmission.status == Review.APPROVED.value)
            .group_by(MissionSubmission.mission_id))
        return Funnel(sum(g.partners for g in mine), sum(g.onboarded for g in mine),
                      {m: int(n) for m, n in modules.all()}, final,
                      {m: int(n) for m, n in missions.all()})

    async def pass_rates(self, code: str | None) -> list[PassRate]:
        """Per quiz: partners who tried, partners who passed, attempts (counted per partner
        first, which hashes instead of sorting for DISTINCT)."""
        per_partner = (
            select(QuizAttempt.quiz_id, QuizAttempt.partner_id,
                   func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passed"),
                   func.count().label("attempts"))
            .where(await self._members(code, QuizAttempt.partner_id),
                   QuizAttempt.finished_at.is_not(None))
            .group_by(QuizAttempt.quiz_id, QuizAttempt.partner_id).subquery())
        rows = await self.s.execute(
            select(per_partner.c.quiz_id, func.count(), func.sum(per_partner.c.passed),
                   func.sum(per_partner.c.attempts))
            .group_by(per_partner.c.quiz_id).order_by(per_partner.c.quiz_id))
        return [PassRate(q, int(a), int(p or 0), int(n or 0)) for q, a, p, n in rows.all()]

    async def stalled(self, code: str | None, now: datetime, idle_for: timedelta,
                      limit: int = 100) -> tuple[int, list[StalledRow]]:
        """How many partners stalled, and the longest idle of them with where they stopped."""
        where = (await self._in_cohort(code)) & stalled_where(now, idle_for)
        n = (await self.s.execute(select(func.count()).select_from(Partner).where(where))
             ).scalar_one()
        rows = await self.s.execute(
            select(Partner.id, Partner.name, Partner.external_id, Partner.state,
                   Partner.module_id, Partner.step_id, Partner.last_active_at)
            .where(where).order_by(Partner.last_active_at, Partner.id).limit(limit))
        return int(n), [StalledRow(*r) for r in rows.all()]

    async def readiness(self, code: str | None, background: str | None = None
                        ) -> list[Readiness]:
        """Mean rating before and after per statement, per background and for everyone
        (summed from the backgrounds' totals: one query)."""
        where = await self._in_cohort(code)
        if background:
            where = where & (Partner.background == background)
        bg = func.coalesce(Partner.background, "other")
        before = AssessmentAnswer.phase == "before"
        rows = await self.s.execute(
            select(bg, AssessmentAnswer.statement_id,
                   func.sum(case((before, AssessmentAnswer.rating))),
                   func.count(case((before, 1))),
                   func.sum(case((~before, AssessmentAnswer.rating))),
                   func.count(case((~before, 1))))
            .join(Partner, Partner.id == AssessmentAnswer.partner_id).where(where)
            .group_by(bg, AssessmentAnswer.statement_id))
        totals: dict[str, list[int]] = {}
        out: list[Readiness] = []
        for group, sid, b_sum, b_n, a_sum, a_n in rows.all():
            sums = [int(b_sum or 0), int(b_n), int(a_sum or 0), int(a_n)]
            out.append(_readiness(group, sid, sums))
            totals[sid] = [x + y for x, y in zip(totals.get(sid, [0, 0, 0, 0]), sums,
                                                 strict=True)]
        return [_readiness("", sid, sums) for sid, sums in totals.items()] + out

    async def quiz_items(self, code: str | None) -> list[QuizItem]:
        """Each question's answers and misses, and the wrong option chosen most: one count
        per (quiz, question, option), summed per question here."""
        rows = await self.s.execute(
            select(QuizAttempt.quiz_id, QuizAnswer.question_id, QuizAnswer.option_id,
                   QuizAnswer.correct, func.count())
            .select_from(QuizAnswer)
            .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
            .where(await self._members(code, QuizAttempt.partner_id))
            .group_by(QuizAttempt.quiz_id, QuizAnswer.question_id, QuizAnswer.option_id,
                      QuizAnswer.correct))
        answers: dict[tuple[str, str], list[int]] = {}
        top: dict[tuple[str, str], tuple[str, int]] = {}
        for quiz, question, option, correct, n in rows.all():
            key = (quiz, question)
            counts = answers.setdefault(key, [0, 0])
            counts[0] += n
            if not correct:
                counts[1] += n
                seen = top.get(key)
                if seen is None or (n, seen[0]) > (seen[1], option):
                    top[key] = (option, int(n))
        items = [QuizItem(quiz, question, n, misses, *top.get((quiz, question), (None, 0)))
                 for (quiz, question), (n, misses) in answers.items()]
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
