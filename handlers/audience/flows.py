"""Shared pieces of the guided coach flows: the draft a coach is in, the audience (segment)
chooser, and stopping a flow. Each flow has its own button kind; the chooser's buttons are
made through the flow's `FlowButtons`."""

from __future__ import annotations

from collections.abc import Callable

from bot.core import Button, Reply, rows
from bot.core.payloads import ButtonData
from handlers.audience import segments
from handlers.audience.drafts import Draft, Drafts
from handlers.audience.models import DraftKind, DraftStep
from handlers.audience.segments import Audience
from handlers.kit.context import Context

MAX_CHOICES = 12
# (action, what, value) -> the flow's own button
FlowButtons = Callable[[str, str | None, str | None], ButtonData]


def stop_button(ctx: Context, make: FlowButtons) -> Button:
    return make("stop", None, None).button(ctx.t("coach_btn_stop_flow"))


def module_ids(ctx: Context) -> set[str]:
    return {mid for pack in ctx.library.packs.values() for mid in pack.modules}


def catalog(ctx: Context) -> segments.Catalog:
    """Which loaded pack has which modules and quizzes (segments select by it)."""
    return segments.Catalog.of(ctx.library.packs)


async def audience_lines(ctx: Context, seg: segments.Segment) -> str:
    """How many partners a segment holds, per cohort and pack, and how many it cannot reach."""
    audience = ctx.repo(Audience)
    cat = catalog(ctx)
    lines = []
    for cohort, pack_id, n in (await audience.breakdown(seg, cat))[:MAX_CHOICES]:
        pack = ctx.library.packs.get(pack_id)
        lines.append(ctx.t("coach_audience_line", n=n,
                           cohort=cohort or ctx.t("coach_audience_no_cohort"),
                           pack=pack.meta.title.get(ctx.lang) if pack else pack_id))
    lost = await audience.unreachable(seg, cat)
    if lost:
        lines.append(ctx.t("coach_audience_unreachable", n=lost))
    return "\n".join(lines)


def title_of(ctx: Context, ident: str) -> str:
    """A module's (or the final quiz's) title in the reader's language; the id if unknown."""
    for pack in [ctx.pack, *ctx.library.packs.values()]:
        if ident == "final":
            return pack.final_quiz.title.get(ctx.lang)
        module = pack.modules.get(ident)
        if module is not None:
            return module.title.get(ctx.lang)
    return ident


def describe(ctx: Context, spec: str) -> str:
    try:
        return segments.describe(segments.parse(spec), ctx.t, lambda i: title_of(ctx, i))
    except segments.SegmentError:
        return spec


def segment_menu(ctx: Context, make: FlowButtons, *, full: bool) -> Reply:
    """The audience choices; webinars offer everyone or a cohort, broadcasts every segment."""
    choices = [("all", "coach_seg_all"), ("cohort", "coach_seg_cohort")]
    if full:
        choices += [("finished", "coach_seg_finished"), ("not_finished", "coach_seg_not_finished"),
                    ("quiz_below", "coach_seg_quiz_below"), ("rsvp", "coach_seg_rsvp")]
    buttons = [make("seg", what, None).button(ctx.t(key)) for what, key in choices]
    return Reply(ctx.t("coach_ask_segment"), rows(*buttons, stop_button(ctx, make)))


async def segment_values(ctx: Context, make: FlowButtons, what: str, *,
                         full: bool) -> Reply | None:
    """The second level of the chooser (which cohort, module, quiz or webinar); None when the
    choice needs no value."""
    buttons: list[Button] = []
    if what == "cohort":
        for c in (await ctx.repos.cohorts.all())[:MAX_CHOICES]:
            buttons.append(make("sv", "cohort", c.code).button(f"👥 {c.name} ({c.code})"[:60]))
        if not buttons:
            return Reply(ctx.t("coach_no_cohorts"), segment_menu(ctx, make, full=full).buttons)
    elif what in ("finished", "not_finished", "quiz_below"):
        # every loaded pack's modules: the segment itself keeps to the partners who have one
        packs = list(ctx.library.packs.values())
        seen: set[str] = set()
        for pack in packs:
            for mid, module in pack.modules.items():
                if mid in seen or (what == "quiz_below" and module.quiz is None):
                    continue
                seen.add(mid)
                label = module.title.get(ctx.lang)
                if len(packs) > 1:
                    label += f" · {pack.meta.title.get(ctx.lang)}"
                buttons.append(make("sv", what, mid).button(f"📘 {label}"[:60]))
        if what == "quiz_below":
            buttons.append(make("sv", what, "final").button(
                f"🏁 {ctx.pack.final_quiz.title.get(ctx.lang)}"[:60]))
    elif what == "rsvp":
        for wid, title in await ctx.repo(Audience).upcoming_webinars(ctx.now(), MAX_CHOICES):
            buttons.append(make("sv", "rsvp", str(wid)).button(f"🎥 {title}"[:60]))
        if not buttons:
            return Reply(ctx.t("coach_no_webinars"), segment_menu(ctx, make, full=full).buttons)
    else:
        return None
    return Reply(ctx.t("coach_ask_segment_value"), rows(*buttons, stop_button(ctx, make)))


async def start(ctx: Context, kind: DraftKind, step: DraftStep, **data: object) -> Draft:
    """Starts a guided flow, replacing any flow the coach left unfinished."""
    draft = Draft(ctx.partner.id, kind, step, dict(data))
    await ctx.repo(Drafts).save(draft, ctx.now())
    return draft


async def current(ctx: Context, *kinds: DraftKind) -> Draft | None:
    """The coach's flow in progress, when it is one of `kinds` (any, when none given)."""
    if not ctx.is_coach:
        return None
    draft = await ctx.repo(Drafts).get(ctx.partner.id)
    if draft is None or (kinds and draft.kind not in kinds):
        return None
    return draft


async def save(ctx: Context, draft: Draft, step: DraftStep) -> None:
    draft.step = step
    await ctx.repo(Drafts).save(draft, ctx.now())


async def clear(ctx: Context) -> None:
    await ctx.repo(Drafts).clear(ctx.partner.id)


async def stop(ctx: Context) -> list[Reply]:
    await clear(ctx)
    return [Reply(ctx.t("coach_flow_stopped"))]


def refuse(ctx: Context) -> list[Reply]:
    """A coach button pressed by someone who is not (or no longer) a coach."""
    return [Reply(ctx.t("coach_only"))]


def stale(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("coach_stale_button"))]


def as_int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 10 else None
