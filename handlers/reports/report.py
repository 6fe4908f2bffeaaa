"""The cohort report: who is ready and who is stuck, per cohort.

The report's own part is the group (a cohort, or `-` for partners without one), how many
finished onboarding, and who stalled; every feature adds its sections (`Feature.report`):
learning its modules, quizzes and readiness, and so on."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.feature import ReportGroup, ReportSection
from bot.storage.models import Cohort, Partner, Role
from handlers.learning.repo import stalled as stalled_where
from scheduler.scope import Scope

NO_COHORT = "-"


@dataclass(frozen=True)
class Stalled:
    partner_id: int
    name: str | None
    external_id: str
    days_idle: int
    module_id: str | None
    # the step they stopped at in that module
    step_id: str | None = None


@dataclass
class CohortReport:
    code: str
    name: str
    pack_id: str
    partners: int = 0
    onboarded: int = 0
    stalled: list[Stalled] = field(default_factory=list)
    sections: list[ReportSection] = field(default_factory=list)


def to_csv(reports: list[CohortReport]) -> str:
    """One row per (cohort, metric), easy to pivot in a spreadsheet."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["cohort", "metric", "item", "value", "value_after", "count"])
    for r in reports:
        w.writerow([r.code, "partners", "", r.partners, "", ""])
        w.writerow([r.code, "onboarding_finished", "", r.onboarded, "", ""])
        for section in r.sections:
            for row in section.rows:
                w.writerow([r.code, row.metric, row.item, row.value, row.after, row.count])
        for s in r.stalled:
            w.writerow([r.code, "stalled", s.external_id, s.days_idle, s.name or "",
                        ":".join(x for x in (s.module_id, s.step_id) if x)])
    return buf.getvalue()


class Reports:
    """The groups of the cohort report and who stalled, read in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def groups(self, *, default_pack: str, cohort_code: str | None = None
                     ) -> list[tuple[CohortReport, list[Any]]] | None:
        """Each group's report header and its partners' rows; None for an unknown cohort."""
        cohorts = {c.id: c for c in (await self.s.execute(select(Cohort))).scalars()}
        wanted: int | None = None
        if cohort_code is not None and cohort_code != NO_COHORT:
            found = [c.id for c in cohorts.values() if c.code == cohort_code]
            if not found:
                return None
            wanted = found[0]
        pq = select(Partner.id, Partner.cohort_id, Partner.name, Partner.external_id,
                    Partner.onboarded_at, Partner.last_active_at, Partner.module_id,
                    Partner.step_id).where(Partner.role == Role.PARTNER.value)
        if cohort_code == NO_COHORT:
            pq = pq.where(Partner.cohort_id.is_(None))
        elif wanted is not None:
            pq = pq.where(Partner.cohort_id == wanted)
        members: dict[int | None, list[Any]] = defaultdict(list)
        for p in (await self.s.execute(pq.order_by(Partner.id))).all():
            members[p.cohort_id].append(p)
        if cohort_code is not None and not members:
            members[None if cohort_code == NO_COHORT else wanted] = []
        order = sorted(members, key=lambda g: (g is None,
                                               cohorts[g].code if g is not None else ""))
        out = []
        for gid in order:
            cohort = cohorts.get(gid) if gid is not None else None
            rep = CohortReport(code=cohort.code if cohort else NO_COHORT,
                               name=cohort.name if cohort else "",
                               pack_id=cohort.pack_id if cohort else default_pack)
            rep.partners = len(members[gid])
            rep.onboarded = sum(1 for p in members[gid] if p.onboarded_at is not None)
            out.append((rep, members[gid]))
        return out

    async def stalled_ids(self, ids: Sequence[int], now: datetime,
                          idle_for: timedelta) -> set[int]:
        found: set[int] = set()
        for i in range(0, len(ids), 5000):
            found.update((await self.s.execute(
                select(Partner.id).where(Partner.id.in_(ids[i:i + 5000]),
                                         stalled_where(now, idle_for)))).scalars())
        return found


async def build(scope: Scope, *, stalled_days: float, lang: str,
                cohort_code: str | None = None) -> list[CohortReport] | None:
    """One report per cohort (partners without one form the `-` group), or just one cohort;
    None when the cohort asked for does not exist."""
    repo = scope.repo(Reports)
    found = await repo.groups(default_pack=scope.settings.default_pack, cohort_code=cohort_code)
    if found is None:
        return None
    now = scope.now
    ids = [p.id for _, members in found for p in members]
    stuck = await repo.stalled_ids(ids, now, timedelta(days=stalled_days))
    groups = [ReportGroup(rep.code, scope.library.fallback(
        rep.pack_id, scope.settings.default_pack).id, tuple(p.id for p in members))
        for rep, members in found]
    parts: dict[str, list[ReportSection]] = defaultdict(list)
    for feature in scope.features:
        for code, sections in (await feature.report(scope, groups, lang)).items():
            parts[code] += sections
    out = []
    for rep, members in found:
        rep.sections = parts.get(rep.code, [])
        rep.stalled = sorted((Stalled(p.id, p.name, p.external_id,
                                      (now - p.last_active_at).days, p.module_id,
                                      p.step_id)
                              for p in members if p.id in stuck), key=lambda s: -s.days_idle)
        out.append(rep)
    return out
