"""What learning shows in the shared views: /progress and /mydata."""

from __future__ import annotations

from bot.core import Reply, rows
from bot.core.feature import DataSection
from handlers.kit.context import Context
from handlers.learning import assessment, menu
from handlers.learning.buttons import HOME
from handlers.learning.repo import AssessmentRepo, LearningDigest, ProgressRepo, QuizRepo
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
