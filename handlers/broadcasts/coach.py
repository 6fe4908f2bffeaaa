"""/broadcast: choose an audience segment, write the message, preview, confirm, send now or
at a time; status and stop while it runs; /broadcasts lists recent ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core import Button, Inbound, Reply, rows
from bot.core.payloads import ButtonData, button
from bot.core.timezones import fmt_local, parse_local
from handlers.audience import flows as flow
from handlers.audience import segments
from handlers.audience.drafts import Draft
from handlers.audience.models import DraftKind, DraftStep
from handlers.audience.segments import Audience
from handlers.broadcasts import service
from handlers.broadcasts.models import BroadcastStatus
from handlers.broadcasts.service import BroadcastError, Broadcasts
from handlers.kit.context import Context


@button("cb")
@dataclass(frozen=True, slots=True)
class BroadcastButton(ButtonData):
    """A step of /broadcast (`seg`, `sv`, `now`, `go`, `at`, `edit`, `stop`) or an action on
    a running broadcast (`st` status, `x` cancel) with its argument and value."""

    action: str
    arg: str | None = None
    value: str | None = None


def _button(action: str, arg: str | None, value: str | None) -> BroadcastButton:
    return BroadcastButton(action, arg, value)



async def start(msg: Inbound, ctx: Context) -> list[Reply]:
    """Starts a broadcast: first, who should get it."""
    await flow.start(ctx, DraftKind.BROADCAST, DraftStep.SEGMENT)
    return [Reply(ctx.t("broadcast_intro")), flow.segment_menu(ctx, _button, full=True)]


async def _save(ctx: Context, draft: Draft, step: DraftStep) -> None:
    await flow.save(ctx, draft, step)


def _ask_text(ctx: Context, draft: Draft) -> Reply:
    return Reply(ctx.t("broadcast_ask_text", audience=flow.describe(ctx, draft.data["segment"])),
                 rows(flow.stop_button(ctx, _button)))


async def _chosen(ctx: Context, draft: Draft, spec: str) -> list[Reply]:
    try:
        seg = segments.parse(spec)
        await ctx.repo(Audience).check(seg, flow.catalog(ctx))
    except segments.SegmentError:
        return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, _button, full=True)]
    draft.data["segment"] = seg.spec
    await _save(ctx, draft, DraftStep.TEXT)
    return [_ask_text(ctx, draft)]


async def _preview(ctx: Context, draft: Draft) -> list[Reply]:
    seg = segments.parse(str(draft.data["segment"]))
    n = await ctx.repo(Audience).count(seg, flow.catalog(ctx))
    at = draft.data.get("send_at")
    when = (fmt_local(datetime.fromisoformat(str(at)), ctx.partner.timezone) if at
            else ctx.t("broadcast_now"))
    head = ctx.t("broadcast_preview", audience=flow.describe(ctx, seg.spec), n=n, when=when)
    split = await flow.audience_lines(ctx, seg)
    if split:
        head += "\n" + split
    buttons = ([BroadcastButton("go").button(ctx.t("broadcast_btn_schedule_confirm", when=when))]
               if at else [BroadcastButton("now").button(ctx.t("broadcast_btn_send_now", n=n))])
    buttons += [BroadcastButton("at").button(ctx.t("broadcast_btn_at")),
                BroadcastButton("edit").button(ctx.t("broadcast_btn_edit")),
                flow.stop_button(ctx, _button)]
    return [Reply(head), Reply(str(draft.data["text"]), rows(*buttons))]


async def on_draft_text(draft: Draft, msg: Inbound, ctx: Context) -> list[Reply]:
    """Takes the message text, or the time to send it at."""
    if draft.step is DraftStep.TEXT:
        try:
            text = service.check_text(msg.text)
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
            return [Reply(ctx.t(key), rows(flow.stop_button(ctx, _button)))]
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
            return [Reply(ctx.t("broadcast_pct_invalid"), rows(flow.stop_button(ctx, _button)))]
        return await _chosen(ctx, draft, f"{draft.data.pop('wait')}:{pct:g}")
    if draft.step is DraftStep.CONFIRM:
        return [Reply(ctx.t("use_buttons")), *await _preview(ctx, draft)]
    return [Reply(ctx.t("use_buttons")), flow.segment_menu(ctx, _button, full=True)]


def _running_buttons(ctx: Context, broadcast_id: int) -> tuple[tuple[Button, ...], ...]:
    bid = str(broadcast_id)
    return rows(BroadcastButton("st", bid).button(ctx.t("broadcast_btn_status")),
                BroadcastButton("x", bid).button(ctx.t("broadcast_btn_cancel")))


async def _send(ctx: Context, draft: Draft, at: datetime) -> list[Reply]:
    try:
        info = await ctx.repo(Broadcasts).create(
            segment=str(draft.data["segment"]), text=str(draft.data["text"]),
            send_at=at, created_by=ctx.partner.id, now=ctx.now(),
            catalog=flow.catalog(ctx))
    except BroadcastError as exc:
        return [Reply(ctx.t(exc.key, **exc.kw)), *await _preview(ctx, draft)]
    except segments.SegmentError:
        await _save(ctx, draft, DraftStep.SEGMENT)
        return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, _button, full=True)]
    await flow.clear(ctx)
    key = "broadcast_queued" if info.send_at <= ctx.now() else "broadcast_scheduled"
    return [Reply(ctx.t(key, id=info.id, n=info.total,
                        when=fmt_local(info.send_at, ctx.partner.timezone)),
                  _running_buttons(ctx, info.id))]


async def _status(ctx: Context, broadcast_id: int) -> list[Reply]:
    repo = ctx.repo(Broadcasts)
    await repo.report_finished(ctx.library, ctx.now())
    info = await repo.get(broadcast_id)
    if info is None:
        return [Reply(ctx.t("broadcast_unknown"))]
    pr = await repo.progress(broadcast_id, ctx.now())
    text = ctx.t("broadcast_status", id=info.id, status=ctx.t(f"broadcast_state_{info.status}"),
                 done=pr.done, total=pr.total, summary=pr.summary())
    running = info.status == BroadcastStatus.SCHEDULED.value and not pr.finished
    return [Reply(text, _running_buttons(ctx, info.id) if running else ())]


async def list_broadcasts(msg: Inbound, ctx: Context) -> list[Reply]:
    """Shows the latest broadcasts and how far each got."""
    found = await ctx.repo(Broadcasts).recent()
    if not found:
        return [Reply(ctx.t("broadcast_none"))]
    out: list[Reply] = []
    for b in found:
        out += await _status(ctx, b.id)
    return out


async def on_button(data: BroadcastButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Audience choice, confirmation, scheduling, status and stop."""
    if not ctx.is_coach:
        return flow.refuse(ctx)
    action = data.action
    bid = flow.as_int(data.arg)
    if action == "st" and bid is not None:
        return await _status(ctx, bid)
    if action == "x" and bid is not None:
        try:
            n = await ctx.repo(Broadcasts).cancel(bid, ctx.now())
        except BroadcastError as exc:
            return [Reply(ctx.t(exc.key, **exc.kw))]
        return [Reply(ctx.t("broadcast_cancelled", id=bid, n=n))]
    if action == "stop":
        return await flow.stop(ctx)
    draft = await flow.current(ctx, DraftKind.BROADCAST)
    if draft is None:
        return flow.stale(ctx)
    if action == "seg" and draft.step in (DraftStep.SEGMENT, DraftStep.SEGMENT_ARG):
        what = str(data.arg)
        if what == "all":
            return await _chosen(ctx, draft, "all")
        reply = await flow.segment_values(ctx, _button, what, full=True)
        if reply is None:
            return flow.stale(ctx)
        await _save(ctx, draft, DraftStep.SEGMENT_ARG)
        return [reply]
    if action == "sv" and draft.step is DraftStep.SEGMENT_ARG:
        what, value = str(data.arg), str(data.value)
        if what == "quiz_below":
            draft.data["wait"] = f"quiz_below:{value}"
            await _save(ctx, draft, DraftStep.SEGMENT_ARG)
            return [Reply(ctx.t("broadcast_ask_pct"), rows(flow.stop_button(ctx, _button)))]
        if what in ("cohort", "finished", "not_finished", "rsvp"):
            return await _chosen(ctx, draft, f"{what}:{value}")
    if draft.step is DraftStep.CONFIRM and "text" in draft.data:
        if action == "now" and "send_at" not in draft.data:
            return await _send(ctx, draft, ctx.now())
        if action == "go" and "send_at" in draft.data:
            return await _send(ctx, draft, datetime.fromisoformat(str(draft.data["send_at"])))
        if action == "at":
            await _save(ctx, draft, DraftStep.SEND_AT)
            return [Reply(ctx.t("broadcast_ask_at"), rows(flow.stop_button(ctx, _button)))]
        if action == "edit":
            await _save(ctx, draft, DraftStep.TEXT)
            return [_ask_text(ctx, draft)]
    return flow.stale(ctx)


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text from a coach in the middle of /broadcast is that flow's answer."""
    draft = await flow.current(ctx, DraftKind.BROADCAST)
    if draft is None:
        return None
    return await on_draft_text(draft, msg, ctx)
