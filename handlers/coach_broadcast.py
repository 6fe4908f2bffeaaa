"""/broadcast: choose an audience segment, write the message, preview, confirm, send now or
at a time; status and stop while it runs; /broadcasts lists recent ones."""

from __future__ import annotations

from datetime import datetime

from bot.coach import broadcasts, segments
from bot.coach.broadcasts import BroadcastError
from bot.coach.drafts import Draft
from bot.coach.timeparse import fmt_local, parse_local
from bot.core import Button, Inbound, Reply, rows
from bot.storage.coach_models import BroadcastStatus, DraftKind, DraftStep
from handlers import coach_flow as flow
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router

KIND = "cb"


async def start(msg: Inbound, ctx: Context) -> list[Reply]:
    """Starts a broadcast: first, who should get it."""
    await flow.start(ctx, DraftKind.BROADCAST, DraftStep.SEGMENT)
    return [Reply(ctx.t("broadcast_intro")), flow.segment_menu(ctx, KIND, full=True)]


async def _save(ctx: Context, draft: Draft, step: DraftStep) -> None:
    draft.step = step
    await flow.drafts.save(ctx.repos.session, draft, ctx.now())


def _ask_text(ctx: Context, draft: Draft) -> Reply:
    return Reply(ctx.t("broadcast_ask_text", audience=flow.describe(ctx, draft.data["segment"])),
                 rows(flow.stop_button(ctx, KIND)))


async def _chosen(ctx: Context, draft: Draft, spec: str) -> list[Reply]:
    try:
        seg = segments.parse(spec)
        await segments.check(ctx.repos.session, seg, flow.module_ids(ctx))
    except segments.SegmentError:
        return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, KIND, full=True)]
    draft.data["segment"] = seg.spec
    await _save(ctx, draft, DraftStep.TEXT)
    return [_ask_text(ctx, draft)]


async def _preview(ctx: Context, draft: Draft) -> list[Reply]:
    seg = segments.parse(str(draft.data["segment"]))
    n = await segments.count(ctx.repos.session, seg)
    at = draft.data.get("send_at")
    when = (fmt_local(datetime.fromisoformat(str(at)), ctx.partner.timezone) if at
            else ctx.t("broadcast_now"))
    head = ctx.t("broadcast_preview", audience=flow.describe(ctx, seg.spec), n=n, when=when)
    buttons = ([Button(ctx.t("broadcast_btn_schedule_confirm", when=when), make(KIND, "go"))]
               if at else [Button(ctx.t("broadcast_btn_send_now", n=n), make(KIND, "now"))])
    buttons += [Button(ctx.t("broadcast_btn_at"), make(KIND, "at")),
                Button(ctx.t("broadcast_btn_edit"), make(KIND, "edit")),
                flow.stop_button(ctx, KIND)]
    return [Reply(head), Reply(str(draft.data["text"]), rows(*buttons))]


async def on_draft_text(draft: Draft, msg: Inbound, ctx: Context) -> list[Reply]:
    """Takes the message text, or the time to send it at."""
    if draft.step is DraftStep.TEXT:
        try:
            text = broadcasts.check_text(msg.text)
        except BroadcastError as exc:
            return [Reply(ctx.t(exc.key, **exc.kw)), _ask_text(ctx, draft)]
        draft.data["text"] = text
        draft.data.pop("send_at", None)
        await _save(ctx, draft, DraftStep.CONFIRM)
        return await _preview(ctx, draft)
    if draft.step is DraftStep.SEND_AT:
        at = parse_local(msg.text, ctx.partner.timezone, ctx.now())
        if at is None or at <= ctx.now():
            key = "webinar_when_invalid" if at is None else "broadcast_time_past"
            return [Reply(ctx.t(key), rows(flow.stop_button(ctx, KIND)))]
        draft.data["send_at"] = at.isoformat()
        await _save(ctx, draft, DraftStep.CONFIRM)
        return await _preview(ctx, draft)
    if draft.step is DraftStep.SEGMENT_ARG and str(draft.data.get("wait", "")).startswith(
            "quiz_below:"):
        raw = msg.text.strip().rstrip("%").replace(",", ".")
        try:
            pct = float(raw)
        except ValueError:
            pct = -1
        if not 0 < pct <= 100:
            return [Reply(ctx.t("broadcast_pct_invalid"), rows(flow.stop_button(ctx, KIND)))]
        return await _chosen(ctx, draft, f"{draft.data.pop('wait')}:{pct:g}")
    if draft.step is DraftStep.CONFIRM:
        return [Reply(ctx.t("use_buttons")), *await _preview(ctx, draft)]
    return [Reply(ctx.t("use_buttons")), flow.segment_menu(ctx, KIND, full=True)]


def _running_buttons(ctx: Context, broadcast_id: int) -> tuple[tuple[Button, ...], ...]:
    return rows(Button(ctx.t("broadcast_btn_status"), make(KIND, "st", broadcast_id)),
                Button(ctx.t("broadcast_btn_cancel"), make(KIND, "x", broadcast_id)))


async def _send(ctx: Context, draft: Draft, at: datetime) -> list[Reply]:
    try:
        info = await broadcasts.create(
            ctx.repos.session, segment=str(draft.data["segment"]), text=str(draft.data["text"]),
            send_at=at, created_by=ctx.partner.id, now=ctx.now(),
            known_modules=flow.module_ids(ctx))
    except BroadcastError as exc:
        return [Reply(ctx.t(exc.key, **exc.kw)), *await _preview(ctx, draft)]
    except segments.SegmentError:
        await _save(ctx, draft, DraftStep.SEGMENT)
        return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, KIND, full=True)]
    await flow.drafts.clear(ctx.repos.session, ctx.partner.id)
    key = "broadcast_queued" if info.send_at <= ctx.now() else "broadcast_scheduled"
    return [Reply(ctx.t(key, id=info.id, n=info.total,
                        when=fmt_local(info.send_at, ctx.partner.timezone)),
                  _running_buttons(ctx, info.id))]


async def _status(ctx: Context, broadcast_id: int) -> list[Reply]:
    session = ctx.repos.session
    await broadcasts.report_finished(session, ctx.library, ctx.now())
    info = await broadcasts.get(session, broadcast_id)
    if info is None:
        return [Reply(ctx.t("broadcast_unknown"))]
    pr = await broadcasts.progress(session, broadcast_id, ctx.now())
    text = ctx.t("broadcast_status", id=info.id, status=ctx.t(f"broadcast_state_{info.status}"),
                 done=pr.done, total=pr.total, summary=pr.summary())
    running = info.status == BroadcastStatus.SCHEDULED.value and not pr.finished
    return [Reply(text, _running_buttons(ctx, info.id) if running else ())]


async def list_broadcasts(msg: Inbound, ctx: Context) -> list[Reply]:
    """Shows the latest broadcasts and how far each got."""
    found = await broadcasts.recent(ctx.repos.session)
    if not found:
        return [Reply(ctx.t("broadcast_none"))]
    out: list[Reply] = []
    for b in found:
        out += await _status(ctx, b.id)
    return out


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """Audience choice, confirmation, scheduling, status and stop."""
    if not flow.is_coach(ctx):
        return flow.refuse(ctx)
    action = payload.get(0)
    bid = flow.payload_int(payload, 1)
    if action == "st" and bid is not None:
        return await _status(ctx, bid)
    if action == "x" and bid is not None:
        try:
            n = await broadcasts.cancel(ctx.repos.session, bid, ctx.now())
        except BroadcastError as exc:
            return [Reply(ctx.t(exc.key, **exc.kw))]
        return [Reply(ctx.t("broadcast_cancelled", id=bid, n=n))]
    if action == "stop":
        return await flow.stop(ctx)
    draft = await flow.current(ctx, DraftKind.BROADCAST)
    if draft is None:
        return await flow.stale(msg, ctx)
    if action == "seg" and draft.step in (DraftStep.SEGMENT, DraftStep.SEGMENT_ARG):
        what = str(payload.get(1))
        if what == "all":
            return await _chosen(ctx, draft, "all")
        reply = await flow.segment_values(ctx, KIND, what)
        if reply is None:
            return await flow.stale(msg, ctx)
        await _save(ctx, draft, DraftStep.SEGMENT_ARG)
        return [reply]
    if action == "sv" and draft.step is DraftStep.SEGMENT_ARG:
        what, value = str(payload.get(1)), str(payload.get(2))
        if what == "quiz_below":
            draft.data["wait"] = f"quiz_below:{value}"
            await _save(ctx, draft, DraftStep.SEGMENT_ARG)
            return [Reply(ctx.t("broadcast_ask_pct"), rows(flow.stop_button(ctx, KIND)))]
        if what in ("cohort", "finished", "not_finished", "rsvp"):
            return await _chosen(ctx, draft, f"{what}:{value}")
    if draft.step is DraftStep.CONFIRM and "text" in draft.data:
        if action == "now" and "send_at" not in draft.data:
            return await _send(ctx, draft, ctx.now())
        if action == "go" and "send_at" in draft.data:
            return await _send(ctx, draft, datetime.fromisoformat(str(draft.data["send_at"])))
        if action == "at":
            await _save(ctx, draft, DraftStep.SEND_AT)
            return [Reply(ctx.t("broadcast_ask_at"), rows(flow.stop_button(ctx, KIND)))]
        if action == "edit":
            await _save(ctx, draft, DraftStep.TEXT)
            return [_ask_text(ctx, draft)]
    return await flow.stale(msg, ctx)


def register(router: Router) -> None:
    flow.DRAFT_HANDLERS[DraftKind.BROADCAST] = on_draft_text
    router.command("broadcast", coach_only=True, help_key="coach_help_broadcast")(start)
    router.command("broadcasts", coach_only=True,
                   help_key="coach_help_broadcasts")(list_broadcasts)
    router.button(KIND)(on_button)
