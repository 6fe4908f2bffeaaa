"""The dashboard's figures, each one SQL aggregate (the database counts, Python only names).

A page filters by cohort: `None` is everyone, `NO_COHORT` the partners without a cohort,
any other value a cohort's join code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cohort, Partner, Role
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAnswer, QuizAttempt
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


@dataclass(frozen=True)
class Funnel:
    joined: int
    onboarded: int
    modules: dict[str, int]  # module id -> partners who finished it
    final_passed: int


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
        counts = (select(Partner.cohort_id, func.count().label("n"))
                  .where(Partner.role == Role.PARTNER.value)
                  .group_by(Partner.cohort_id).subquery())
        rows = await self.s.execute(
            select(Cohort.code, Cohort.name, Cohort.pack_id, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.cohort_id == Cohort.id).order_by(Cohort.code))
        out = [CohortRow(*r) for r in rows.all()]
        loose = (await self.s.execute(select(func.count()).select_from(Partner).where(
            Partner.role == Role.PARTNER.value, Partner.cohort_id.is_(None)))).scalar_one()
        if loose:
            out.append(CohortRow(NO_COHORT, "", "", int(loose)))
        return out

    async def cohort_pack(self, code: str | None) -> str | None:
        if code is None or code == NO_COHORT:
            return None
        return (await self.s.execute(select(Cohort.pack_id).where(Cohort.code == code))
                ).scalar_one_or_none()

    async def _in_cohort(self, code: str | None) -> ColumnElement[bool]:
        """The partners of the page's cohort filter (an unknown code matches nobody)."""
        base = Partner.role == Role.PARTNER.value
        if code is None:
            return base
        if code == NO_COHORT:
            return base & Partner.cohort_id.is_(None)
        cid = (await self.s.execute(select(Cohort.id).where(Cohort.code == code))
               ).scalar_one_or_none()
        return base & (Partner.cohort_id == (cid if cid is not None else -1))

    async def funnel(self, code: str | None) -> Funnel:
        where = await self._in_cohort(code)
        joined, onboarded = (await self.s.execute(
            select(func.count(), func.count(Partner.onboarded_at)).where(where))).one()
        modules = await self.s.execute(
            select(ModuleProgress.module_id, func.count())
            .join(Partner, Partner.id == ModuleProgress.partner_id)
            .where(where, ModuleProgress.completed_at.is_not(None))
            .group_by(ModuleProgress.module_id))
        final = (await self.s.execute(
            select(func.count(func.distinct(QuizAttempt.partner_id)))
            .join(Partner, Partner.id == QuizAttempt.partner_id)
            .where(where, QuizAttempt.quiz_id == FINAL, QuizAttempt.passed.is_(True))
        )).scalar_one()
        return Funnel(int(joined), int(onboarded), {m: int(n) for m, n in modules.all()},
                      int(final))

    async def pass_rates(self, code: str | None) -> list[PassRate]:
        where = await self._in_cohort(code)
        passed_partner = case((QuizAttempt.passed.is_(True), QuizAttempt.partner_id))
        rows = await self.s.execute(
            select(QuizAttempt.quiz_id, func.count(func.distinct(QuizAttempt.partner_id)),
                   func.count(func.distinct(passed_partner)), func.count())
            .join(Partner, Partner.id == QuizAttempt.partner_id)
            .where(where, QuizAttempt.finished_at.is_not(None))
            .group_by(QuizAttempt.quiz_id).order_by(QuizAttempt.quiz_id))
        return [PassRate(q, int(a), int(p), int(n)) for q, a, p, n in rows.all()]

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
        """Mean rating before and after per statement, for everyone and per background."""
        where = await self._in_cohort(code)
        if background:
            where = where & (Partner.background == background)
        bg = func.coalesce(Partner.background, "other")
        before = AssessmentAnswer.phase == "before"
        cols: list[Any] = [
            func.avg(case((before, AssessmentAnswer.rating))),
            func.count(case((before, 1))),
            func.avg(case((~before, AssessmentAnswer.rating))),
            func.count(case((~before, 1)))]
        base = (select(AssessmentAnswer.statement_id, *cols)
                .join(Partner, Partner.id == AssessmentAnswer.partner_id).where(where))
        out: list[Readiness] = []
        for r in (await self.s.execute(base.group_by(AssessmentAnswer.statement_id))).all():
            out.append(_readiness("", r))
        split = (select(bg, AssessmentAnswer.statement_id, *cols)
                 .join(Partner, Partner.id == AssessmentAnswer.partner_id).where(where)
                 .group_by(bg, AssessmentAnswer.statement_id))
        for r in (await self.s.execute(split)).all():
            out.append(_readiness(r[0], r[1:]))
        return out

    async def quiz_items(self, code: str | None) -> list[QuizItem]:
        """Each question's answers and misses, and the wrong option chosen most."""
        where = await self._in_cohort(code)
        joined = (select(QuizAttempt.quiz_id, QuizAnswer.question_id)
                  .select_from(QuizAnswer)
                  .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
                  .join(Partner, Partner.id == QuizAttempt.partner_id).where(where))
        totals = await self.s.execute(
            joined.add_columns(func.count(), func.count(case((QuizAnswer.correct.is_(False), 1))))
            .group_by(QuizAttempt.quiz_id, QuizAnswer.question_id))
        wrong = await self.s.execute(
            joined.add_columns(QuizAnswer.option_id, func.count())
            .where(QuizAnswer.correct.is_(False))
            .group_by(QuizAttempt.quiz_id, QuizAnswer.question_id, QuizAnswer.option_id))
        top: dict[tuple[str, str], tuple[str, int]] = {}
        for quiz, question, option, n in wrong.all():
            seen = top.get((quiz, question))
            if seen is None or (n, seen[0]) > (seen[1], option):
                top[(quiz, question)] = (option, int(n))
        items = []
        for quiz, question, n, misses in totals.all():
            opt, opt_n = top.get((quiz, question), (None, 0))
            items.append(QuizItem(quiz, question, int(n), int(misses), opt, opt_n))
        return sorted(items, key=lambda i: (-i.miss_rate, i.quiz_id, i.question_id))

    async def open_tickets(self, limit: int = 200) -> list[TicketRow]:
        rows = await self.s.execute(
            select(CoachTicket.id, CoachTicket.partner_id, Partner.name, Partner.external_id,
                   CoachTicket.text, CoachTicket.status, CoachTicket.created_at)
            .join(Partner, Partner.id == CoachTicket.partner_id)
            .where(CoachTicket.status != TicketStatus.CLOSED.value)
            .order_by(CoachTicket.created_at, CoachTicket.id).limit(limit))
        return [TicketRow(*r) for r in rows.all()]

    async def rsvps(self, webinar_id: int) -> list[RsvpRow]:
        rows = await self.s.execute(
            select(Partner.id, Partner.name, Partner.external_id, WebinarRsvp.answer,
                   WebinarRsvp.updated_at)
            .join(Partner, Partner.id == WebinarRsvp.partner_id)
            .where(WebinarRsvp.webinar_id == webinar_id)
            .order_by(WebinarRsvp.answer.desc(), Partner.name, Partner.id))
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


def _readiness(background: str, r: Any) -> Readiness:
    sid, b, bn, a, an = r
    return Readiness(background, sid, float(b) if b is not None else None, int(bn),
                     float(a) if a is not None else None, int(an))
