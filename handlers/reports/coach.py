"""/cohort: per cohort, who finished what, quiz pass rates, readiness before and after, and
the stalled partners with a button to nudge each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.core import Inbound, Reply, rows
from bot.core.i18n import fill
from bot.core.payloads import ButtonData, button
from bot.storage.models import Role
from content.loader import Pack
from content.schema import NudgeKind
from handlers.coaches.partner import PartnerButton
from handlers.kit.context import Context
from handlers.reports import report
from handlers.reports.report import CohortReport

MAX_STALLED_BUTTONS = 10


@button("cn")
@dataclass(frozen=True, slots=True)
class CoachNudgeButton(ButtonData):
    """A coach's "nudge this partner" under the cohort report."""

    partner: str



def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({round(100 * part / whole)}%)" if whole else "0/0"


def stopped_at(pack: Pack, lang: str, stalled: report.Stalled) -> str | None:
    """`Program basics, step 2/3`: where a stalled partner stopped; None outside a module."""
    module = pack.modules.get(stalled.module_id or "")
    if module is None:
        return None
    ids = [s.id for s in module.steps]
    if stalled.step_id in ids:
        return f"{module.title.get(lang)} {ids.index(stalled.step_id) + 1}/{len(ids)}"
    return module.title.get(lang)


def render(ctx: Context, rep: CohortReport) -> Reply:
    name = rep.name if rep.code != report.NO_COHORT else ctx.t("report_no_cohort")
    lines = [ctx.t("report_title", cohort=name, code=rep.code, partners=rep.partners),
             ctx.t("report_onboarded", n=_pct(rep.onboarded, rep.partners))]
    for section in rep.sections:
        if section.lines:
            lines += [section.title, *section.lines]
    days = ctx.settings.report_stalled_days
    if rep.stalled:
        lines.append(ctx.t("report_stalled", n=len(rep.stalled), days=f"{days:g}"))
        pack = ctx.library.fallback(rep.pack_id, ctx.settings.default_pack)
        for s in rep.stalled[:30]:
            where = stopped_at(pack, ctx.lang, s)
            lines.append(f"• {s.name or s.external_id} — " + (
                ctx.t("report_stopped_at", where=where) + " · " if where else "")
                + ctx.t("report_idle_days", days=s.days_idle) + f" · /partner #{s.partner_id}")
        if len(rep.stalled) > 30:
            lines.append(ctx.t("coach_and_more", n=len(rep.stalled) - 30))
    else:
        lines.append(ctx.t("report_no_stalled", days=f"{days:g}"))
    buttons = [b for s in rep.stalled[:MAX_STALLED_BUTTONS] for b in (
        CoachNudgeButton(str(s.partner_id)).button(
            ctx.t("report_btn_nudge", name=(s.name or s.external_id)[:30])),
        PartnerButton("show", s.partner_id).button(f"👤 {(s.name or s.external_id)[:30]}"))]
    return Reply("\n".join(lines), rows(*buttons, width=2))


async def cohort(msg: Inbound, ctx: Context) -> list[Reply]:
    """The cohort report, for every cohort or the one named: `/cohort CODE`."""
    code = msg.args.split()[0] if msg.args.split() else None
    reports = await report.build(ctx.scope(), stalled_days=ctx.settings.report_stalled_days,
                                 lang=ctx.lang, cohort_code=code)
    if not reports:
        return [Reply(ctx.t("report_unknown_cohort" if code else "report_empty",
                            code=(code or "")[:32]))]
    return [render(ctx, r) for r in reports]


async def on_nudge(data: CoachNudgeButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Sends a stalled partner a friendly nudge (once a day at most)."""
    if not ctx.is_coach:
        return [Reply(ctx.t("coach_only"))]
    raw = data.partner
    pid = int(raw) if raw.isdigit() and len(raw) < 10 else None
    target = await ctx.repos.partners.by_id(pid) if pid is not None else None
    if target is None or target.role != Role.PARTNER.value:
        return [Reply(ctx.t("report_nudge_unknown"))]
    label = target.name or target.external_id
    idle_since = ctx.now() - timedelta(days=ctx.settings.report_stalled_days)
    if target.last_active_at >= idle_since:
        return [Reply(ctx.t("report_nudge_active", name=label))]
    if target.opted_out or target.blocked:
        return [Reply(ctx.t("report_nudge_unreachable", name=label))]
    pack = ctx.library.packs.get(target.pack_id) or ctx.pack
    module = pack.modules.get(target.module_id or "")
    kind = NudgeKind.STALLED if module else NudgeKind.INACTIVE
    text = fill(pack.nudges.texts[kind].get(target.language), name=target.name or "",
                module=module.title.get(target.language) if module else "")
    day = ctx.now().strftime("%Y%m%d")
    added = await ctx.outbox.add(
        channel=target.channel, chat_id=target.chat_id, kind="coach_nudge",
        reply=Reply(text), due_at=ctx.now(),
        dedupe_key=f"cn:{target.id}:{day}", now=ctx.now(), partner_id=target.id)
    return [Reply(ctx.t("report_nudged" if added else "report_nudge_already", name=label))]
