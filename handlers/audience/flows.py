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


def describe(ctx: Context, spec: str) -> str:
    try:
        return segments.describe(segments.parse(spec), ctx.t)
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
        for mid, module in ctx.pack.modules.items():
            if what == "quiz_below" and module.quiz is None:
                continue
            buttons.append(make("sv", what, mid).button(f"📘 {module.title.get(ctx.lang)}"[:60]))
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
