"""The cohort report: who is ready and who is stuck, per cohort."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cohort, Partner, Role
from content.loader import Pack, PackLibrary
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAttempt

NO_COHORT = "-"


@dataclass(frozen=True)
class Stalled:
    partner_id: int
    name: str | None
    external_id: str
    days_idle: int
    module_id: str | None


@dataclass
class QuizStat:
    quiz_id: str
    title: str
    attempted: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None


@dataclass
class Readiness:
    statement_id: str
    text: str
    before: float | None = None
    after: float | None = None
    n_before: int = 0
    n_after: int = 0


@dataclass
class CohortReport:
    code: str
    name: str
    pack_id: str
    partners: int = 0
    onboarded: int = 0
    modules: list[tuple[str, str, int]] = field(default_factory=list)
    quizzes: list[QuizStat] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)
    stalled: list[Stalled] = field(default_factory=list)


def _pack(library: PackLibrary, pack_id: str, default: str) -> Pack | None:
    return library.packs.get(pack_id) or library.packs.get(default)


def _avg(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}"


def to_csv(reports: list[CohortReport]) -> str:
    """One row per (cohort, metric), easy to pivot in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["cohort", "metric", "item", "value", "value_after", "count"])
    for r in reports:
        w.writerow([r.code, "partners", "", r.partners, "", ""])
        w.writerow([r.code, "onboarding_finished", "", r.onboarded, "", ""])
        for mid, _, n in r.modules:
            w.writerow([r.code, "module_finished", mid, n, "", ""])
        for q in r.quizzes:
            rate = "" if q.pass_rate is None else f"{q.pass_rate:.3f}"
            w.writerow([r.code, "quiz_pass_rate", q.quiz_id, rate, "", q.attempted])
        for rd in r.readiness:
            w.writerow([r.code, "readiness_before_after", rd.statement_id, _avg(rd.before),
                        _avg(rd.after), f"{rd.n_before}/{rd.n_after}"])
        for s in r.stalled:
            w.writerow([r.code, "stalled", s.external_id, s.days_idle, s.name or "",
                        s.module_id or ""])
    return buf.getvalue()


class Reports:
    """The cohort report, read in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def build(self, library: PackLibrary, *, now: datetime,
                    stalled_days: float, lang: str, default_pack: str,
                    cohort_code: str | None = None) -> list[CohortReport]:
        """One report per cohort (partners without one form the `-` group), or just one cohort.

        Stalled: no activity for more than `stalled_days` days, not opted out, not through the
        final quiz."""
        cohorts = {c.id: c for c in (await self.s.execute(select(Cohort))).scalars()}
        if cohort_code is not None and cohort_code != NO_COHORT:
            wanted = [c.id for c in cohorts.values() if c.code == cohort_code]
            if not wanted:
                return []
        pq = select(Partner.id, Partner.cohort_id, Partner.name, Partner.external_id,
                    Partner.onboarded_at, Partner.last_active_at, Partner.module_id,
                    Partner.opted_out).where(Partner.role == Role.PARTNER.value)
        if cohort_code == NO_COHORT:
            pq = pq.where(Partner.cohort_id.is_(None))
        elif cohort_code is not None:
            pq = pq.where(Partner.cohort_id == wanted[0])
        partners = (await self.s.execute(pq.order_by(Partner.id))).all()
        group_of = {p.id: p.cohort_id for p in partners}
        ids = list(group_of)

        def chunks() -> list[list[int]]:
            return [ids[i:i + 5000] for i in range(0, len(ids), 5000)]

        finished: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        passed_final: set[int] = set()
        quiz: dict[int | None, dict[str, list[int]]] = defaultdict(lambda: defaultdict(
            lambda: [0, 0]))
        ratings: dict[int | None, dict[tuple[str, str], list[int]]] = defaultdict(
            lambda: defaultdict(list))
        for chunk in chunks():
            for pid, mid in (await self.s.execute(
                    select(ModuleProgress.partner_id, ModuleProgress.module_id)
                    .where(ModuleProgress.partner_id.in_(chunk),
                           ModuleProgress.completed_at.is_not(None)))).all():
                finished[group_of[pid]][mid] += 1
            for pid, qid, best in (await self.s.execute(
                    select(QuizAttempt.partner_id, QuizAttempt.quiz_id,
                           func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)))
                    .where(QuizAttempt.partner_id.in_(chunk), QuizAttempt.finished_at.is_not(None))
                    .group_by(QuizAttempt.partner_id, QuizAttempt.quiz_id))).all():
                stat = quiz[group_of[pid]][qid]
                stat[0] += 1
                stat[1] += int(bool(best))
                if qid == "final" and best:
                    passed_final.add(pid)
            for pid, phase, sid, rating in (await self.s.execute(
                    select(AssessmentAnswer.partner_id, AssessmentAnswer.phase,
                           AssessmentAnswer.statement_id, AssessmentAnswer.rating)
                    .where(AssessmentAnswer.partner_id.in_(chunk)))).all():
                ratings[group_of[pid]][(phase, sid)].append(rating)

        groups: dict[int | None, list[Any]] = defaultdict(list)
        for p in partners:
            groups[p.cohort_id].append(p)
        if cohort_code is not None and not partners:
            groups[None if cohort_code == NO_COHORT else wanted[0]] = []
        order = sorted(groups, key=lambda g: (g is None, cohorts[g].code if g is not None else ""))
        out: list[CohortReport] = []
        for gid in order:
            cohort = cohorts.get(gid) if gid is not None else None
            pack = _pack(library, cohort.pack_id if cohort else default_pack, default_pack)
            rep = CohortReport(code=cohort.code if cohort else NO_COHORT,
                               name=cohort.name if cohort else "",
                               pack_id=pack.id if pack else default_pack)
            members = groups[gid]
            rep.partners = len(members)
            rep.onboarded = sum(1 for p in members if p.onboarded_at is not None)
            if pack is not None:
                rep.modules = [(mid, m.title.get(lang), finished[gid].get(mid, 0))
                               for mid, m in pack.modules.items()]
                quiz_ids = [mid for mid, m in pack.modules.items() if m.quiz] + ["final"]
                for qid in quiz_ids:
                    q = pack.quiz(qid)
                    assert q is not None
                    attempted, passed = quiz[gid].get(qid, [0, 0])
                    rep.quizzes.append(QuizStat(qid, q.title.get(lang), attempted, passed))
                for st in pack.assessment.statements:
                    before = ratings[gid].get(("before", st.id), [])
                    after = ratings[gid].get(("after", st.id), [])
                    rep.readiness.append(Readiness(
                        st.id, st.text.get(lang),
                        sum(before) / len(before) if before else None,
                        sum(after) / len(after) if after else None, len(before), len(after)))
            limit = now - timedelta(days=stalled_days)
            for p in members:
                if (p.last_active_at < limit and not p.opted_out
                        and p.id not in passed_final):
                    idle = (now - p.last_active_at).days
                    rep.stalled.append(Stalled(p.id, p.name, p.external_id, idle,
                                               p.module_id))
            rep.stalled.sort(key=lambda s: -s.days_idle)
            out.append(rep)
        return out
