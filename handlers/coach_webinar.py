"""/webinar (guided announcement with RSVP), /webinars (attendance, move, cancel) and the
partners' RSVP buttons (Hadir / Tidak bisa)."""

from __future__ import annotations

from bot.coach import segments, webinars
from bot.coach.drafts import Draft
from bot.coach.timeparse import fmt_local, parse_local
from bot.coach.webinars import WebinarError
from bot.core import Button, Inbound, Reply, rows
from bot.storage.coach_models import DraftKind, DraftStep, Rsvp
from handlers import coach_flow as flow
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router

KIND = "cw"
MAX_DESCRIPTION = 1500


def _when(ctx: Context, draft_when: str | None) -> str:
    from datetime import datetime

    return fmt_local(datetime.fromisoformat(draft_when), ctx.partner.timezone) if draft_when \
        else ""


def _ask(ctx: Context, step: DraftStep) -> Reply:
    stop = flow.stop_button(ctx, KIND)
    if step is DraftStep.TITLE:
        return Reply(ctx.t("webinar_ask_title"), rows(stop))
    if step is DraftStep.WHEN:
        return Reply(ctx.t("webinar_ask_when", tz=fmt_local(ctx.now(), ctx.partner.timezone)
                           .rsplit(" ", 1)[-1]), rows(stop))
    if step is DraftStep.LINK:
        return Reply(ctx.t("webinar_ask_link"), rows(stop))
    skip = Button(ctx.t("coach_btn_skip"), make(KIND, "skip"))
    if step is DraftStep.DESCRIPTION:
        return Reply(ctx.t("webinar_ask_description"), rows(skip, stop))
    return Reply(ctx.t("webinar_ask_followup"), rows(skip, stop))


async def _preview(ctx: Context, draft: Draft) -> list[Reply]:
    d = draft.data
    seg = segments.parse(str(d["audience"]))
    n = await segments.count(ctx.repos.session, seg)
    text = ctx.t("webinar_preview", title=d["title"], when=_when(ctx, d["when"]),
                 link=d["link"], description=d.get("description") or "—",
                 followup=d.get("followup") or "—", audience=flow.describe(ctx, seg.spec), n=n)
    return [Reply(text, rows(Button(ctx.t("webinar_btn_announce"), make(KIND, "go")),
                             flow.stop_button(ctx, KIND)))]


async def start(msg: Inbound, ctx: Context) -> list[Reply]:
    """Starts the guided webinar announcement: title, time, link, description, audience."""
    await flow.start(ctx, DraftKind.WEBINAR, DraftStep.TITLE)
    return [Reply(ctx.t("webinar_intro")), _ask(ctx, DraftStep.TITLE)]


async def _next(ctx: Context, draft: Draft, step: DraftStep) -> list[Reply]:
    draft.step = step
    await flow.drafts.save(ctx.repos.session, draft, ctx.now())
    if step is DraftStep.SEGMENT:
        return [flow.segment_menu(ctx, KIND, full=False)]
    if step is DraftStep.CONFIRM:
        return await _preview(ctx, draft)
    return [_ask(ctx, step)]


async def on_draft_text(draft: Draft, msg: Inbound, ctx: Context) -> list[Reply]:
    """Takes the coach's answer for the step they are on and asks the next."""
    text = msg.text.strip()
    if draft.kind is DraftKind.MOVE_WEBINAR:
        return await _move_to(draft, text, ctx)
    if draft.step is DraftStep.TITLE:
        title = " ".join(text.split())
        if not title or len(title) > webinars.MAX_TITLE:
            return [Reply(ctx.t("webinar_title_invalid")), _ask(ctx, draft.step)]
        draft.data["title"] = title
        return await _next(ctx, draft, DraftStep.WHEN)
    if draft.step is DraftStep.WHEN:
        when = parse_local(text, ctx.partner.timezone, ctx.now())
        if when is None:
            return [Reply(ctx.t("webinar_when_invalid")), _ask(ctx, draft.step)]
        if when <= ctx.now():
            return [Reply(ctx.t("webinar_time_past")), _ask(ctx, draft.step)]
        draft.data["when"] = when.isoformat()
        return await _next(ctx, draft, DraftStep.LINK)
    if draft.step is DraftStep.LINK:
        if not webinars.looks_like_link(text):
            return [Reply(ctx.t("webinar_link_invalid")), _ask(ctx, draft.step)]
        draft.data["link"] = text
        return await _next(ctx, draft, DraftStep.DESCRIPTION)
    if draft.step in (DraftStep.DESCRIPTION, DraftStep.FOLLOWUP):
        if len(text) > MAX_DESCRIPTION:
            return [Reply(ctx.t("coach_text_too_long", max=MAX_DESCRIPTION)),
                    _ask(ctx, draft.step)]
        if draft.step is DraftStep.DESCRIPTION:
            draft.data["description"] = text
            return await _next(ctx, draft, DraftStep.FOLLOWUP)
        draft.data["followup"] = text
        return await _next(ctx, draft, DraftStep.SEGMENT)
    if draft.step is DraftStep.SEGMENT:
        return [Reply(ctx.t("use_buttons")), flow.segment_menu(ctx, KIND, full=False)]
    return [Reply(ctx.t("use_buttons")), *await _preview(ctx, draft)]


async def _announce(draft: Draft, ctx: Context) -> list[Reply]:
    from datetime import datetime

    d = draft.data
    try:
        info, n = await webinars.create(
            ctx.repos.session, ctx.library, title=str(d["title"]),
            starts_at=datetime.fromisoformat(str(d["when"])), link=str(d["link"]),
            description=d.get("description"), followup=d.get("followup"),
            audience=str(d["audience"]), timezone=ctx.partner.timezone,
            created_by=ctx.partner.id, now=ctx.now(), known_modules=flow.module_ids(ctx))
    except WebinarError as exc:
        draft.step = DraftStep.WHEN if exc.key == "webinar_time_past" else DraftStep.CONFIRM
        await flow.drafts.save(ctx.repos.session, draft, ctx.now())
        return [Reply(ctx.t(exc.key, **exc.kw)), _ask(ctx, draft.step)
                if draft.step is DraftStep.WHEN else (await _preview(ctx, draft))[0]]
    except segments.SegmentError:
        draft.step = DraftStep.SEGMENT
        await flow.drafts.save(ctx.repos.session, draft, ctx.now())
        return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, KIND, full=False)]
    await flow.drafts.clear(ctx.repos.session, ctx.partner.id)
    return [Reply(ctx.t("webinar_announced", id=info.id, title=info.title, n=n),
                  rows(*_manage_buttons(ctx, info.id)))]


def _manage_buttons(ctx: Context, webinar_id: int) -> list[Button]:
    return [Button(ctx.t("webinar_btn_attendance"), make(KIND, "att", webinar_id)),
            Button(ctx.t("webinar_btn_move"), make(KIND, "mv", webinar_id)),
            Button(ctx.t("webinar_btn_cancel"), make(KIND, "x", webinar_id))]


async def _move_to(draft: Draft, text: str, ctx: Context) -> list[Reply]:
    stop = flow.stop_button(ctx, KIND)
    when = parse_local(text, ctx.partner.timezone, ctx.now())
    if when is None:
        return [Reply(ctx.t("webinar_when_invalid"), rows(stop))]
    try:
        info, told = await webinars.move(ctx.repos.session, ctx.library,
                                         int(draft.data["webinar_id"]), when, ctx.now())
    except WebinarError as exc:
        if exc.key == "webinar_time_past":
            return [Reply(ctx.t(exc.key), rows(stop))]
        await flow.drafts.clear(ctx.repos.session, ctx.partner.id)
        return [Reply(ctx.t(exc.key, **exc.kw))]
    await flow.drafts.clear(ctx.repos.session, ctx.partner.id)
    return [Reply(ctx.t("webinar_moved_done", title=info.title,
                        when=fmt_local(info.starts_at, ctx.partner.timezone), n=told))]


async def list_webinars(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists upcoming webinars with their attendance and what the coach can do with each."""
    found = await webinars.upcoming(ctx.repos.session, ctx.now())
    if not found:
        return [Reply(ctx.t("webinar_none"))]
    replies = [Reply(ctx.t("webinar_list_title"))]
    for w in found:
        yes = len(await webinars.attendees(ctx.repos.session, w.id))
        replies.append(Reply(ctx.t("webinar_list_item", id=w.id, title=w.title,
                                   when=fmt_local(w.starts_at, ctx.partner.timezone),
                                   audience=flow.describe(ctx, w.audience), yes=yes),
                             rows(*_manage_buttons(ctx, w.id))))
    return replies


async def _attendance(ctx: Context, webinar_id: int) -> list[Reply]:
    w = await webinars.get(ctx.repos.session, webinar_id)
    if w is None:
        return [Reply(ctx.t("webinar_unknown"))]
    answers = await webinars.attendees(ctx.repos.session, webinar_id, None)
    yes = [a for a in answers if a[3] == Rsvp.YES.value]
    no = [a for a in answers if a[3] == Rsvp.NO.value]
    lines = [ctx.t("webinar_attendance_title", title=w.title,
                   when=fmt_local(w.starts_at, ctx.partner.timezone), yes=len(yes), no=len(no))]
    lines += [f"✅ {name or ext}" for _, name, ext, _ in yes[:100]]
    if len(yes) > 100:
        lines.append(ctx.t("coach_and_more", n=len(yes) - 100))
    return [Reply("\n".join(lines))]


async def on_coach_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """Steps of /webinar, and attendance / move / cancel on an existing webinar."""
    if not flow.is_coach(ctx):
        return flow.refuse(ctx)
    action = payload.get(0)
    wid = flow.payload_int(payload, 1)
    if action == "att" and wid is not None:
        return await _attendance(ctx, wid)
    if action == "mv" and wid is not None:
        w = await webinars.get(ctx.repos.session, wid)
        if w is None or w.status != "scheduled" or w.starts_at <= ctx.now():
            return [Reply(ctx.t("webinar_not_changeable"))]
        await flow.start(ctx, DraftKind.MOVE_WEBINAR, DraftStep.WHEN, webinar_id=wid)
        return [Reply(ctx.t("webinar_ask_move", title=w.title,
                            when=fmt_local(w.starts_at, ctx.partner.timezone)),
                      rows(flow.stop_button(ctx, KIND)))]
    if action == "x" and wid is not None:
        w = await webinars.get(ctx.repos.session, wid)
        if w is None or w.status != "scheduled":
            return [Reply(ctx.t("webinar_not_changeable"))]
        return [Reply(ctx.t("webinar_confirm_cancel", title=w.title),
                      rows(Button(ctx.t("webinar_btn_cancel_yes"), make(KIND, "xy", wid)),
                           Button(ctx.t("webinar_btn_keep"), make(KIND, "keep"))))]
    if action == "xy" and wid is not None:
        try:
            info, told = await webinars.cancel(ctx.repos.session, ctx.library, wid, ctx.now())
        except WebinarError as exc:
            return [Reply(ctx.t("webinar_not_changeable" if exc.key != "webinar_unknown"
                                else exc.key))]
        return [Reply(ctx.t("webinar_cancelled_done", title=info.title, n=told))]
    if action == "keep":
        return [Reply(ctx.t("webinar_kept"))]
    if action == "stop":
        return await flow.stop(ctx)
    draft = await flow.current(ctx)
    if draft is None or draft.kind is not DraftKind.WEBINAR:
        return await flow.stale(msg, ctx)
    if action == "skip" and draft.step in (DraftStep.DESCRIPTION, DraftStep.FOLLOWUP):
        nxt = DraftStep.FOLLOWUP if draft.step is DraftStep.DESCRIPTION else DraftStep.SEGMENT
        return await _next(ctx, draft, nxt)
    if action == "seg" and draft.step is DraftStep.SEGMENT:
        what = payload.get(1)
        if what == "all":
            draft.data["audience"] = "all"
            return await _next(ctx, draft, DraftStep.CONFIRM)
        if what == "cohort":
            reply = await flow.segment_values(ctx, KIND, "cohort")
            return [reply] if reply else await flow.stale(msg, ctx)
    if action == "sv" and draft.step is DraftStep.SEGMENT and payload.get(1) == "cohort":
        code = str(payload.get(2))
        if await ctx.repos.cohorts.by_code(code) is None:
            return [Reply(ctx.t("coach_segment_gone")), flow.segment_menu(ctx, KIND, full=False)]
        draft.data["audience"] = f"cohort:{code}"
        return await _next(ctx, draft, DraftStep.CONFIRM)
    if action == "go" and draft.step is DraftStep.CONFIRM:
        return await _announce(draft, ctx)
    return await flow.stale(msg, ctx)


async def on_rsvp(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """A partner answers an invitation: yes plans their reminders, no cancels them."""
    wid = flow.payload_int(payload, 0)
    answer = {"y": Rsvp.YES, "n": Rsvp.NO}.get(str(payload.get(1)))
    if wid is None or answer is None:
        return [Reply(ctx.t("rsvp_unknown"))]
    try:
        w = await webinars.rsvp(ctx.repos.session, ctx.library, wid, ctx.partner.id, answer,
                                ctx.now())
    except WebinarError as exc:
        return [Reply(ctx.t(exc.key, **exc.kw))]
    when = fmt_local(w.starts_at, ctx.partner.timezone)
    if answer is Rsvp.YES:
        return [Reply(ctx.t("rsvp_yes_done", title=w.title, when=when, link=w.link))]
    return [Reply(ctx.t("rsvp_no_done", title=w.title))]


def register(router: Router) -> None:
    flow.DRAFT_HANDLERS[DraftKind.WEBINAR] = on_draft_text
    flow.DRAFT_HANDLERS[DraftKind.MOVE_WEBINAR] = on_draft_text
    router.command("webinar", coach_only=True, help_key="coach_help_webinar")(start)
    router.command("webinars", coach_only=True, help_key="coach_help_webinars")(list_webinars)
    router.button(KIND)(on_coach_button)
    router.button("wr")(on_rsvp)
