"""Missions in the shared views: the cohort report (done, late, waiting, targets reached),
the coaches' digest and /mydata."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.core.feature import DataSection, ReportGroup, ReportRow, ReportSection
from handlers.kit.context import Context
from handlers.missions.plan import Standing, due_at, standing, unlocked
from handlers.missions.repo import MissionRepo, MissionReport
from scheduler.scope import Scope


async def report(scope: Scope, groups: Sequence[ReportGroup],
                 lang: str) -> dict[str, list[ReportSection]]:
    out: dict[str, list[ReportSection]] = {}
    repo = scope.repo(MissionReport)
    for g in groups:
        pack = scope.library.fallback(g.pack_id, scope.settings.default_pack)
        missions = list(pack.missions.values())
        if not missions:
            continue
        t = partial(scope.t, pack, lang)
        modules = sorted({m.after for m in missions if m.after})
        seen = await repo.partners(list(g.partner_ids), modules)
        lines, rows = [], []
        for m in missions:
            counts = dict.fromkeys(Standing, 0)
            met = 0
            for pm in seen.values():
                for mission, at in unlocked([m], pm.finished, pm.onboarded_at):
                    status = pm.latest.get(mission.id)
                    counts[standing(status, due_at(mission, at, pm.timezone),
                                    scope.now)] += 1
                met += m.id in pm.target_met
            done, late = counts[Standing.APPROVED], counts[Standing.LATE]
            waiting = counts[Standing.SUBMITTED]
            line = t("report_mission_line", title=m.title.get(lang), done=done, late=late,
                     waiting=waiting)
            if m.target is not None:
                line += " " + t("report_mission_target", n=met)
            lines.append(f"• {line}")
            rows += [ReportRow("mission_done", m.id, str(done), shown=str(done)),
                     ReportRow("mission_late", m.id, str(late), shown=str(late)),
                     ReportRow("mission_waiting", m.id, str(waiting), shown=str(waiting))]
            if m.target is not None:
                rows.append(ReportRow("mission_target_met", m.id, str(met), shown=str(met)))
        out[g.code] = [ReportSection(t("report_missions"), lines, rows)]
    return out


async def digest(scope: Scope, lang: str) -> list[str]:
    n = await scope.repo(MissionReport).waiting()
    return [scope.t(None, lang, "digest_missions_waiting", n=n)] if n else []


async def my_data(ctx: Context) -> list[DataSection]:
    repo = ctx.repo(MissionRepo)
    subs = await repo.submissions(ctx.partner.id)
    said = await repo.reflections(ctx.partner.id)
    if not subs and not said:
        return []
    lines = [ctx.t("mydata_missions", proofs=len(subs), reflections=len(said))]
    export = {
        "submissions": [{"mission": s.mission_id, "status": s.status.value, "kind": s.proof.kind,
                         "text": s.proof.text, "file": s.proof.file_name or s.proof.file_id,
                         "number": s.proof.number, "feedback": s.feedback,
                         "at": s.created_at.isoformat()} for s in subs],
        "reflections": [{"mission": m, "text": text, "at": at.isoformat()}
                        for m, text, at in said],
    }
    return [DataSection("missions", lines, export)]
