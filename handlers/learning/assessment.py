"""The readiness self-assessment: statements rated 1-5, before and after coaching."""

from __future__ import annotations

from bot.core import Inbound, Reply, rows
from handlers.kit.context import Context
from handlers.kit.position import stale
from handlers.learning import menu
from handlers.learning.buttons import RatingButton
from handlers.learning.repo import AssessmentRepo
from handlers.learning.states import LearningState

PHASES = {"before": LearningState.ASSESS_BEFORE, "after": LearningState.ASSESS_AFTER}
SCALE = range(1, 6)


def _phase(ctx: Context) -> str:
    return "after" if ctx.partner.state == LearningState.ASSESS_AFTER else "before"


def begin(ctx: Context, phase: str) -> list[Reply]:
    first = ctx.pack.assessment.statements[0].id
    ctx.partner.move(PHASES[phase], position=first)
    intro = ctx.pack.assessment.intro.get(ctx.lang) if phase == "before" else ctx.t(
        "assessment_after_intro")
    return [Reply(intro), *render(ctx)]


def render(ctx: Context) -> list[Reply]:
    statements = ctx.pack.assessment.statements
    ids = [s.id for s in statements]
    if ctx.partner.position not in ids:  # a new pack (another cohort's): start its statements
        ctx.partner.position = ids[0]
    sid = ctx.partner.position
    statement = statements[ids.index(sid)]
    phase = _phase(ctx)
    buttons = [RatingButton(phase, sid, str(n)).button(str(n)) for n in SCALE]
    text = ctx.t("assessment_statement", n=ids.index(sid) + 1, total=len(ids),
                 statement=statement.text.get(ctx.lang))
    return [Reply(text, rows(*buttons, width=5))]


async def _rate(ctx: Context, rating: int) -> list[Reply]:
    p = ctx.partner
    phase = _phase(ctx)
    ids = [s.id for s in ctx.pack.assessment.statements]
    sid = p.position if p.position in ids else ids[0]
    await ctx.repo(AssessmentRepo).rate(p.id, phase, sid, rating, ctx.now())
    i = ids.index(sid)
    if i + 1 < len(ids):
        p.position = ids[i + 1]
        return render(ctx)
    if phase == "before":
        p.onboarded_at = p.onboarded_at or ctx.now()
        p.move(LearningState.MENU)
        return [Reply(ctx.t("assessment_before_done", name=p.name or "")),
                *await menu.show(ctx)]
    p.move(LearningState.MENU)
    return [*await comparison(ctx), *await menu.show(ctx)]


async def comparison(ctx: Context) -> list[Reply]:
    """The partner's own before/after readiness, per statement."""
    ratings = ctx.repo(AssessmentRepo)
    before = await ratings.ratings(ctx.partner.id, "before")
    after = await ratings.ratings(ctx.partner.id, "after")
    lines = [ctx.t("comparison_title")]
    for st in ctx.pack.assessment.statements:
        b, a = before.get(st.id), after.get(st.id)
        if a is None:
            continue
        delta = "" if b is None else f" ({a - b:+d})"
        lines.append(f"• {st.text.get(ctx.lang)}\n  {b if b is not None else '–'} → {a}{delta}")
    if before and after:
        avg_b = sum(before.values()) / len(before)
        avg_a = sum(after.values()) / len(after)
        lines.append(ctx.t("comparison_average", before=f"{avg_b:.1f}", after=f"{avg_a:.1f}"))
    return [Reply("\n".join(lines))]


async def on_button(data: RatingButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Stores a rating if the button belongs to the statement the partner is on."""
    value = data.rating
    p = ctx.partner
    if data.phase not in PHASES or p.state != PHASES[data.phase] or data.statement != p.position:
        return await stale(msg, ctx)
    if value is None or not value.isdigit() or int(value) not in SCALE:
        return [Reply(ctx.t("rating_invalid")), *render(ctx)]
    return await _rate(ctx, int(value))


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Accepts a typed 1-5; anything else gets the scale explained again."""
    value = msg.text.strip()
    if value.isdigit() and int(value) in SCALE:
        return await _rate(ctx, int(value))
    return [Reply(ctx.t("rating_invalid")), *render(ctx)]
