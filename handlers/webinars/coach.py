"""/webinar (guided announcement with RSVP), /webinars (attendance, move, cancel) and the
partners' RSVP buttons (Hadir / Tidak bisa)."""

from __future__ import annotations

from datetime import datetime

from bot.core import Button, Inbound, Reply, rows
from bot.core.timezones import fmt_local, parse_local
from handlers.audience import flows as flow
from handlers.audience import segments
from handlers.audience.drafts import Draft
from handlers.audience.models import DraftKind, DraftStep
from handlers.audience.segments import Audience
from handlers.kit.context import Context
from handlers.webinars import service
from handlers.webinars.buttons import RsvpButton, WebinarButton, webinar_button
from handlers.webinars.models import Rsvp
from handlers.webinars.service import WebinarError, Webinars, plan

MAX_DESCRIPTION = 1500
FLOWS = (DraftKind.WEBINAR, DraftKind.MOVE_WEBINAR)


def _audiences(ctx: Context) -> Reply:
    """Webinars go to everyone or to one cohort."""
    return flow.segment_menu(ctx, webinar_button, full=False)


def _when(ctx: Context, draft_when: str | None) -> str:
    return fmt_local(datetime.fromisoformat(draft_when), ctx.partner.timezone) if draft_when \
        else ""


def _ask(ctx: Context, step: DraftStep) -> Reply:
    stop = flow.stop_button(ctx, webinar_button)
    if step is DraftStep.TITLE:
        return Reply(ctx.t("webinar_ask_title"), rows(stop))
    if step is DraftStep.WHEN:
        return Reply(ctx.t("webinar_ask_when", tz=fmt_local(ctx.now(), ctx.partner.timezone)
                           .rsplit(" ", 1)[-1]), rows(stop))
    if step is DraftStep.LINK:
        return Reply(ctx.t("webinar_ask_link"), rows(stop))
    skip = WebinarButton("skip").button(ctx.t("coach_btn_skip"))
    if step is DraftStep.DESCRIPTION:
        return Reply(ctx.t("webinar_ask_description"), rows(skip, stop))
    return Reply(ctx.t("webinar_ask_followup"), rows(skip, stop))


async def _preview(ctx: Context, draft: Draft) -> list[Reply]:
    d = draft.data
    seg = segments.parse(str(d["audience"]))
    n = await ctx.repo(Audience).count(seg, flow.catalog(ctx))
    text = ctx.t("webinar_preview", title=d["title"], when=_when(ctx, d["when"]),
                 link=d["link"], description=d.get("description") or "—",
                 followup=d.get("followup") or "—", audience=flow.describe(ctx, seg.spec), n=n)
    split = await flow.audience_lines(ctx, seg)
    if split:
        text += "\n" + split
    return [Reply(text, rows(WebinarButton("go").button(ctx.t("webinar_btn_announce")),
                             flow.stop_button(ctx, webinar_button)))]


async def start(msg: Inbound, ctx: Context) -> list[Reply]:
    """Starts the guided webinar announcement: title, time, link, description, audience."""
    await flow.start(ctx, DraftKind.WEBINAR, DraftStep.TITLE)
    return [Reply(ctx.t("webinar_intro")), _ask(ctx, DraftStep.TITLE)]


async def _next(ctx: Context, draft: Draft, step: DraftStep) -> list[Reply]:
    await flow.save(ctx, draft, step)
    if step is DraftStep.SEGMENT:
        return [_audiences(ctx)]
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
        if not title or len(title) > service.MAX_TITLE:
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
        if not service.looks_like_link(text):
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
        return [Reply(ctx.t("use_buttons")), _audiences(ctx)]
    return [Reply(ctx.t("use_buttons")), *await _preview(ctx, draft)]


async def _announce(draft: Draft, ctx: Context) -> list[Reply]:
    d = draft.data
    try:
        info, n = await ctx.repo(Webinars).create(
            ctx.library, title=str(d["title"]),
            starts_at=datetime.fromisoformat(str(d["when"])), link=str(d["link"]),
            description=d.get("description"), followup=d.get("followup"),
            audience=str(d["audience"]), timezone=ctx.partner.timezone,
            created_by=ctx.partner.id, now=ctx.now(), catalog=flow.catalog(ctx))
    except WebinarError as exc:
        await flow.save(ctx, draft, DraftStep.WHEN if exc.key == "webinar_time_past"
                        else DraftStep.CONFIRM)
        return [Reply(ctx.t(exc.key, **exc.kw)), _ask(ctx, draft.step)
                if draft.step is DraftStep.WHEN else (await _preview(ctx, draft))[0]]
    except segments.SegmentError:
        await flow.save(ctx, draft, DraftStep.SEGMENT)
        return [Reply(ctx.t("coach_segment_gone")), _audiences(ctx)]
    await flow.clear(ctx)
    return [Reply(ctx.t("webinar_announced", id=info.id, title=info.title, n=n),
                  rows(*_manage_buttons(ctx, info.id)))]


def _manage_buttons(ctx: Context, webinar_id: int) -> list[Button]:
    wid = str(webinar_id)
    return [WebinarButton("att", wid).button(ctx.t("webinar_btn_attendance")),
            WebinarButton("mv", wid).button(ctx.t("webinar_btn_move")),
            WebinarButton("x", wid).button(ctx.t("webinar_btn_cancel"))]


async def _move_to(draft: Draft, text: str, ctx: Context) -> list[Reply]:
    stop = flow.stop_button(ctx, webinar_button)
    when = parse_local(text, ctx.partner.timezone, ctx.now())
    if when is None:
        return [Reply(ctx.t("webinar_when_invalid"), rows(stop))]
    try:
        info, told = await ctx.repo(Webinars).move(ctx.library, int(draft.data["webinar_id"]),
                                                   when, ctx.now())
    except WebinarError as exc:
        if exc.key == "webinar_time_past":
            return [Reply(ctx.t(exc.key), rows(stop))]
        await flow.clear(ctx)
        return [Reply(ctx.t(exc.key, **exc.kw))]
    await flow.clear(ctx)
    return [Reply(ctx.t("webinar_moved_done", title=info.title,
                        when=fmt_local(info.starts_at, ctx.partner.timezone), n=told))]


async def list_webinars(msg: Inbound, ctx: Context) -> list[Reply]:
    """Lists upcoming webinars with their attendance and what the coach can do with each."""
    repo = ctx.repo(Webinars)
    found = await repo.upcoming(ctx.now())
    if not found:
        return [Reply(ctx.t("webinar_none"))]
    replies = [Reply(ctx.t("webinar_list_title"))]
    for w in found:
        yes = len(await repo.attendees(w.id))
        replies.append(Reply(ctx.t("webinar_list_item", id=w.id, title=w.title,
                                   when=fmt_local(w.starts_at, ctx.partner.timezone),
                                   audience=flow.describe(ctx, w.audience), yes=yes),
                             rows(*_manage_buttons(ctx, w.id))))
    return replies


async def _attendance(ctx: Context, webinar_id: int) -> list[Reply]:
    repo = ctx.repo(Webinars)
    w = await repo.get(webinar_id)
    if w is None:
        return [Reply(ctx.t("webinar_unknown"))]
    answers = await repo.attendees(webinar_id, None)
    yes = [a for a in answers if a[3] == Rsvp.YES.value]
    no = [a for a in answers if a[3] == Rsvp.NO.value]
    lines = [ctx.t("webinar_attendance_title", title=w.title,
                   when=fmt_local(w.starts_at, ctx.partner.timezone), yes=len(yes), no=len(no))]
    lines += [f"✅ {name or ext}" for _, name, ext, _ in yes[:100]]
    if len(yes) > 100:
        lines.append(ctx.t("coach_and_more", n=len(yes) - 100))
    return [Reply("\n".join(lines))]


async def on_coach_button(data: WebinarButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Steps of /webinar, and attendance / move / cancel on an existing webinar."""
    if not ctx.is_coach:
        return flow.refuse(ctx)
    action = data.action
    wid = flow.as_int(data.arg)
    if action == "att" and wid is not None:
        return await _attendance(ctx, wid)
    if action == "mv" and wid is not None:
        w = await ctx.repo(Webinars).get(wid)
        if w is None or w.status != "scheduled" or w.starts_at <= ctx.now():
            return [Reply(ctx.t("webinar_not_changeable"))]
        await flow.start(ctx, DraftKind.MOVE_WEBINAR, DraftStep.WHEN, webinar_id=wid)
        return [Reply(ctx.t("webinar_ask_move", title=w.title,
                            when=fmt_local(w.starts_at, ctx.partner.timezone)),
                      rows(flow.stop_button(ctx, webinar_button)))]
    if action == "x" and wid is not None:
        w = await ctx.repo(Webinars).get(wid)
        if w is None or w.status != "scheduled":
            return [Reply(ctx.t("webinar_not_changeable"))]
        return [Reply(ctx.t("webinar_confirm_cancel", title=w.title),
                      rows(WebinarButton("xy", str(wid)).button(ctx.t("webinar_btn_cancel_yes")),
                           WebinarButton("keep").button(ctx.t("webinar_btn_keep"))))]
    if action == "xy" and wid is not None:
        try:
            info, told = await ctx.repo(Webinars).cancel(ctx.library, wid, ctx.now())
        except WebinarError as exc:
            return [Reply(ctx.t("webinar_not_changeable" if exc.key != "webinar_unknown"
                                else exc.key))]
        return [Reply(ctx.t("webinar_cancelled_done", title=info.title, n=told))]
    if action == "keep":
        return [Reply(ctx.t("webinar_kept"))]
    if action == "stop":
        return await flow.stop(ctx)
    draft = await flow.current(ctx, DraftKind.WEBINAR)
    if draft is None:
        return flow.stale(ctx)
    if action == "skip" and draft.step in (DraftStep.DESCRIPTION, DraftStep.FOLLOWUP):
        nxt = DraftStep.FOLLOWUP if draft.step is DraftStep.DESCRIPTION else DraftStep.SEGMENT
        return await _next(ctx, draft, nxt)
    if action == "seg" and draft.step is DraftStep.SEGMENT:
        what = data.arg
        if what == "all":
            draft.data["audience"] = "all"
            return await _next(ctx, draft, DraftStep.CONFIRM)
        if what == "cohort":
            reply = await flow.segment_values(ctx, webinar_button, "cohort", full=False)
            return [reply] if reply else flow.stale(ctx)
    if action == "sv" and draft.step is DraftStep.SEGMENT and data.arg == "cohort":
        code = str(data.value)
        if await ctx.repos.cohorts.by_code(code) is None:
            return [Reply(ctx.t("coach_segment_gone")), _audiences(ctx)]
        draft.data["audience"] = f"cohort:{code}"
        return await _next(ctx, draft, DraftStep.CONFIRM)
    if action == "go" and draft.step is DraftStep.CONFIRM:
        return await _announce(draft, ctx)
    return flow.stale(ctx)


async def on_rsvp(data: RsvpButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """A partner answers an invitation: yes plans their reminders, no cancels them."""
    wid = flow.as_int(data.webinar)
    answer = {"y": Rsvp.YES, "n": Rsvp.NO}.get(str(data.answer))
    if wid is None or answer is None:
        return [Reply(ctx.t("rsvp_unknown"))]
    try:
        w = await ctx.repo(Webinars).rsvp(ctx.library, wid, ctx.partner.id, answer, ctx.now())
    except WebinarError as exc:
        return [Reply(ctx.t(exc.key, **exc.kw))]
    when = fmt_local(w.starts_at, ctx.partner.timezone)
    if answer is Rsvp.YES:
        # promise only the reminders that will be sent
        ahead = () if ctx.partner.opted_out else tuple(
            label for label, _ in plan(w.starts_at, ctx.now(), followup=False))
        key = ("rsvp_yes_done_quiet" if ctx.partner.opted_out else
               {("24h", "1h"): "rsvp_yes_done", ("1h",): "rsvp_yes_done_1h"}.get(
                   ahead, "rsvp_yes_done_soon"))
        return [Reply(ctx.t(key, title=w.title, when=when, link=w.link))]
    return [Reply(ctx.t("rsvp_no_done", title=w.title))]


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text from a coach in the middle of /webinar (or moving one) is its answer."""
    draft = await flow.current(ctx, *FLOWS)
    if draft is None:
        return None
    return await on_draft_text(draft, msg, ctx)
