"""Shared pieces of the guided coach flows: the role check, the draft interceptor, the
audience (segment) chooser, and stopping a flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.coach import drafts, segments
from bot.coach.drafts import Draft
from bot.core import Button, Inbound, Reply, rows
from bot.storage.coach_models import DraftKind, DraftStep
from bot.storage.models import Role
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router

MAX_CHOICES = 12
DraftHandler = Callable[[Draft, Inbound, Context], Awaitable[list[Reply]]]
# filled by each flow's register(): which handler takes free text for a kind of draft
DRAFT_HANDLERS: dict[DraftKind, DraftHandler] = {}


def is_coach(ctx: Context) -> bool:
    return ctx.partner.role in (Role.COACH.value, Role.ADMIN.value)


def is_admin(ctx: Context) -> bool:
    return ctx.partner.role == Role.ADMIN.value


def stop_button(ctx: Context, kind: str) -> Button:
    return Button(ctx.t("coach_btn_stop_flow"), make(kind, "stop"))


def module_ids(ctx: Context) -> set[str]:
    return {mid for pack in ctx.library.packs.values() for mid in pack.modules}


def describe(ctx: Context, spec: str) -> str:
    try:
        return segments.describe(segments.parse(spec), ctx.t)
    except segments.SegmentError:
        return spec


def segment_menu(ctx: Context, kind: str, *, full: bool) -> Reply:
    """The audience choices; webinars offer everyone or a cohort, broadcasts every segment."""
    choices = [("all", "coach_seg_all"), ("cohort", "coach_seg_cohort")]
    if full:
        choices += [("finished", "coach_seg_finished"), ("not_finished", "coach_seg_not_finished"),
                    ("quiz_below", "coach_seg_quiz_below"), ("rsvp", "coach_seg_rsvp")]
    buttons = [Button(ctx.t(key), make(kind, "seg", what)) for what, key in choices]
    return Reply(ctx.t("coach_ask_segment"), rows(*buttons, stop_button(ctx, kind)))


def _menu(ctx: Context, kind: str) -> Reply:
    return segment_menu(ctx, kind, full=kind != "cw")


async def segment_values(ctx: Context, kind: str, what: str) -> Reply | None:
    """The second level of the chooser (which cohort, module, quiz or webinar); None when the
    choice needs no value."""
    from bot.coach import webinars

    buttons: list[Button] = []
    if what == "cohort":
        for c in (await ctx.repos.cohorts.all())[:MAX_CHOICES]:
            buttons.append(Button(f"👥 {c.name} ({c.code})"[:60], make(kind, "sv", "cohort",
                                                                        c.code)))
        if not buttons:
            return Reply(ctx.t("coach_no_cohorts"), _menu(ctx, kind).buttons)
    elif what in ("finished", "not_finished", "quiz_below"):
        for mid, module in ctx.pack.modules.items():
            if what == "quiz_below" and module.quiz is None:
                continue
            buttons.append(Button(f"📘 {module.title.get(ctx.lang)}"[:60],
                                  make(kind, "sv", what, mid)))
        if what == "quiz_below":
            buttons.append(Button(f"🏁 {ctx.pack.final_quiz.title.get(ctx.lang)}"[:60],
                                  make(kind, "sv", what, "final")))
    elif what == "rsvp":
        for w in await webinars.upcoming(ctx.repos.session, ctx.now(), MAX_CHOICES):
            buttons.append(Button(f"🎥 {w.title}"[:60], make(kind, "sv", "rsvp", w.id)))
        if not buttons:
            return Reply(ctx.t("coach_no_webinars"), _menu(ctx, kind).buttons)
    else:
        return None
    return Reply(ctx.t("coach_ask_segment_value"), rows(*buttons, stop_button(ctx, kind)))


async def start(ctx: Context, kind: DraftKind, step: DraftStep, **data: object) -> Draft:
    """Starts a guided flow, replacing any flow the coach left unfinished."""
    draft = Draft(ctx.partner.id, kind, step, dict(data))
    await drafts.save(ctx.repos.session, draft, ctx.now())
    return draft


async def current(ctx: Context, kind: DraftKind | None = None) -> Draft | None:
    if not is_coach(ctx):
        return None
    draft = await drafts.get(ctx.repos.session, ctx.partner.id)
    if draft is None or (kind is not None and draft.kind is not kind):
        return None
    return draft


async def stop(ctx: Context) -> list[Reply]:
    await drafts.clear(ctx.repos.session, ctx.partner.id)
    return [Reply(ctx.t("coach_flow_stopped"))]


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text from a coach in the middle of /webinar or /broadcast is that flow's answer."""
    draft = await current(ctx)
    if draft is None:
        return None
    handler = DRAFT_HANDLERS.get(draft.kind)
    if handler is None:
        return None
    return await handler(draft, msg, ctx)


def refuse(ctx: Context) -> list[Reply]:
    """A coach button pressed by someone who is not (or no longer) a coach."""
    return [Reply(ctx.t("coach_only"))]


async def stale(msg: Inbound, ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("coach_stale_button"))]


def payload_int(payload: Payload, i: int) -> int | None:
    raw = payload.get(i)
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 10 else None


def register(router: Router) -> None:
    router.interceptors.append(on_text)
