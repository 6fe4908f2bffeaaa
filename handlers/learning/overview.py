"""What learning shows in the shared views: /progress and /mydata."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.core import Reply, rows
from bot.core.feature import DataSection, ReportGroup, ReportRow, ReportSection
from handlers.kit.context import Context
from handlers.learning import assessment, menu
from handlers.learning.buttons import HOME
from handlers.learning.repo import (
    AssessmentRepo,
    LearningDigest,
    LearningReport,
    ProgressRepo,
    QuizRepo,
)
from scheduler.scope import Scope


async def progress(ctx: Context) -> list[Reply]:
    """Modules finished, quiz results and readiness before and after."""
    seen = await ctx.repo(ProgressRepo).overview(ctx.partner.id)  # one query for all of it
    marks, _ = menu.marks_of(ctx, seen.progress)
    history = seen.attempts
    best: dict[str, tuple[int, int, bool]] = {}
    for a in history:
        prev = best.get(a.quiz_id)
        if prev is None or a.score / max(a.total, 1) > prev[0] / max(prev[1], 1):
            best[a.quiz_id] = (a.score, a.total, bool(a.passed))
    done = sum(m == "done" for m in marks.values())
    lines = [ctx.t("progress_title", done=done, total=len(marks))]
    for mid, module in ctx.pack.modules.items():
        line = f"{menu.ICONS[marks[mid]]} {module.title.get(ctx.lang)}"
        if mid in best:
            s, t, ok = best[mid]
            line += " — " + ctx.t("progress_quiz", score=s, total=t) + (" ✅" if ok else "")
        lines.append(line)
    if "final" in best:
        s, t, ok = best["final"]
        lines.append(ctx.t("progress_final", score=s, total=t) + (" ✅" if ok else ""))
    attempts = len(history)
    if attempts:
        lines.append(ctx.t("progress_attempts", n=attempts))
    before = seen.ratings.get("before", {})
    after = seen.ratings.get("after", {})
    if before:
        avg = sum(before.values()) / len(before)
        lines.append(ctx.t("progress_ready_before", avg=f"{avg:.1f}"))
    if after:
        avg = sum(after.values()) / len(after)
        lines.append(ctx.t("progress_ready_after", avg=f"{avg:.1f}"))
    replies = [Reply("\n".join(lines), rows(HOME.button(ctx.t("btn_menu"))))]
    if before and after:
        replies = [*await assessment.comparison(ctx), *replies]
    return replies


async def my_data(ctx: Context) -> list[DataSection]:
    """Counts of what learning stores, and the latest reflective answers."""
    pid = ctx.partner.id
    progress = await ctx.repo(ProgressRepo).all(pid)
    responses = await ctx.repo(ProgressRepo).responses(pid)
    attempts = await ctx.repo(QuizRepo).history(pid)
    ratings = ctx.repo(AssessmentRepo)
    before = await ratings.ratings(pid, "before")
    after = await ratings.ratings(pid, "after")
    lines = [ctx.t("mydata_counts", modules=len(progress), answers=len(responses),
                   attempts=len(attempts), ratings=len(before) + len(after))]
    reflections = [r.text for r in responses if r.kind == "reflect" and r.text]
    lines += [f"💭 {text[:300]}" for text in reflections[-5:]]
    export = {
        "modules": {m: {"step": r.step_id, "completed": r.completed} for m, r in progress.items()},
        "answers": [{"module": r.module_id, "step": r.step_id, "kind": r.kind, "text": r.text,
                     "option": r.option_id, "correct": r.correct,
                     "at": r.created_at.isoformat()} for r in responses],
        "quiz_attempts": [{"quiz": a.quiz_id, "score": a.score, "total": a.total,
                           "passed": a.passed} for a in attempts],
        "self_assessment": {"before": before, "after": after},
    }
    return [DataSection("learning", lines, export)]


async def digest(scope: Scope, lang: str) -> list[str]:
    """Who stalled mid-module in the last week, who went quiet, who failed a quiz."""
    s = scope.repo(LearningDigest)
    stalled, names = await s.stalled(scope.now)
    lines = [scope.t(None, lang, "digest_stalled", n=stalled),
             scope.t(None, lang, "digest_inactive", n=await s.inactive(scope.now)),
             scope.t(None, lang, "digest_quiz_failed", n=await s.failed_quiz(scope.now))]
    if names:
        lines.append(scope.t(None, lang, "digest_names", names=", ".join(names)))
    return lines


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({round(100 * part / whole)}%)" if whole else "0/0"


def _avg(v: float | None, digits: int) -> str:
    return "" if v is None else f"{v:.{digits}f}"


async def report(scope: Scope, groups: Sequence[ReportGroup],
                 lang: str) -> dict[str, list[ReportSection]]:
    """Per group: modules finished, quiz pass rates, readiness before and after."""
    figures = await scope.repo(LearningReport).figures({g.code: g.partner_ids for g in groups})
    out: dict[str, list[ReportSection]] = {}
    for g in groups:
        pack = scope.library.fallback(g.pack_id, scope.settings.default_pack)
        fig, n = figures[g.code], len(g.partner_ids)

        t = partial(scope.t, pack, lang)

        modules = [(mid, m.title.get(lang), fig.finished.get(mid, 0))
                   for mid, m in pack.modules.items()]
        sections = [ReportSection(
            t("report_modules"), [f"• {title}: {pct(k, n)}" for _, title, k in modules],
            [ReportRow("module_finished", mid, str(k), shown=str(k)) for mid, _, k in modules])]
        lines, rows = [], []
        for qid in [*(mid for mid, m in pack.modules.items() if m.quiz), "final"]:
            quiz = pack.quiz(qid)
            assert quiz is not None
            attempted, passed = fig.quizzes.get(qid, (0, 0))
            rate = passed / attempted if attempted else None
            lines.append(f"• {quiz.title.get(lang)}: " + (
                t("report_quiz_rate", passed=passed, attempted=attempted,
                  pct=round(100 * (rate or 0))) if attempted else t("report_quiz_none")))
            rows.append(ReportRow("quiz_pass_rate", qid, _avg(rate, 3), count=str(attempted),
                                  shown="-" if rate is None else
                                  f"{100 * rate:.0f}% of {attempted}"))
        sections.append(ReportSection(t("report_quizzes"), lines, rows))
        lines, rows = [], []
        for st in pack.assessment.statements:
            before = fig.ratings.get(("before", st.id), [])
            after = fig.ratings.get(("after", st.id), [])
            b = sum(before) / len(before) if before else None
            a = sum(after) / len(after) if after else None
            lines.append(f"• {st.text.get(lang)}: {_avg(b, 1) or '–'} → {_avg(a, 1) or '–'}")
            rows.append(ReportRow("readiness_before_after", st.id, _avg(b, 2), _avg(a, 2),
                                  f"{len(before)}/{len(after)}", shown=_avg(b, 2) or "-"))
        sections.append(ReportSection(t("report_readiness"), lines, rows))
        out[g.code] = sections
    return out
