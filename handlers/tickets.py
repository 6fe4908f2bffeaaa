"""Hand-off to a human coach: tickets, the coaches' chat, and threads while a coach helps."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core import Button, Inbound, InboundKind, Reply, reply_to_dict, rows
from bot.faq.hours import CoachHours, reannounce_times
from bot.faq.repos import TicketRecord, TicketRepo, ticket_ref
from bot.storage.faq_models import TicketStatus
from bot.storage.models import ConvState
from bot.storage.repos import PartnerRecord, Repos
from handlers import position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Handler, Router

if TYPE_CHECKING:
    from bot.app import CoachBot

log = logging.getLogger(__name__)

# the coaches' chat on the console when COACHBOT_COACH_CHAT_ID is not set
CONSOLE_COACH_CHAT = "coaches"
QUOTE_MAX = 700
TZ_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


def coach_chat(ctx: Context, channel: str) -> str | None:
    """The coaches' chat on a channel: the configured one, or the coach console."""
    if ctx.settings.coach_chat_id:
        return ctx.settings.coach_chat_id
    return CONSOLE_COACH_CHAT if channel == "console" else None


def coach_hours(ctx: Context) -> CoachHours:
    s = ctx.settings
    return CoachHours.parse(s.coach_hours, s.coach_days, s.coach_timezone)


def _text(ctx: Context, pack_id: str | None, key: str, lang: str, /, **kw: Any) -> str:
    pack = ctx.library.packs.get(pack_id) if pack_id else None
    text = ctx.library.text(pack, key, lang)
    return text.format(**kw) if kw else text


def coach_t(ctx: Context, key: str, /, **kw: Any) -> str:
    """A message for the coaches' chat, in the coaches' language."""
    return _text(ctx, ctx.partner.pack_id, key, ctx.settings.coach_language, **kw)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "…"


def _who(p: PartnerRecord) -> str:
    return f"{p.name or p.external_id} ({p.channel}:{p.external_id})"


def _coach_name(msg: Inbound, ctx: Context) -> str:
    return ctx.partner.name or msg.display_name or ctx.partner.external_id


def is_coach(msg: Inbound, ctx: Context) -> bool:
    """Coaches are partners with the coach or admin role, or anyone in the coaches' chat."""
    return ctx.partner.role in ("coach", "admin") or msg.chat_id == coach_chat(ctx, msg.channel)


async def current_ticket(ctx: Context) -> TicketRecord | None:
    return await TicketRepo(ctx.repos.session).current(ctx.partner.id)


async def _where(ctx: Context) -> str:
    from handlers import menu, onboarding

    p = ctx.partner
    st = p.state
    if st in onboarding.ONBOARDING_STATES:
        place = coach_t(ctx, "ticket_where_onboarding")
    elif st is ConvState.MODULE and p.module_id in ctx.pack.modules:
        module = ctx.pack.modules[p.module_id]
        ids = [s.id for s in module.steps]
        n = ids.index(p.step_id) + 1 if p.step_id in ids else 1
        place = coach_t(ctx, "ticket_where_module", n=n, total=len(ids),
                        module=module.title.get(ctx.settings.coach_language))
    elif st is ConvState.QUIZ:
        place = coach_t(ctx, "ticket_where_quiz")
    elif st in (ConvState.ASSESS_BEFORE, ConvState.ASSESS_AFTER):
        place = coach_t(ctx, "ticket_where_assessment")
    else:
        place = coach_t(ctx, "ticket_where_menu")
    marks, _ = await menu.status(ctx)
    done = sum(m == "done" for m in marks.values())
    return place + " · " + coach_t(ctx, "ticket_where_done", done=done, total=len(marks))


def _hours_note(ctx: Context) -> str:
    hours = coach_hours(ctx)
    now = ctx.now()
    if hours.is_open(now):
        return ctx.t("ticket_hours_now")
    when = hours.next_open(now).astimezone(ZoneInfo(ctx.partner.timezone))
    day = DAYS.get(ctx.lang, DAYS["en"])[when.weekday()]
    tz = ctx.settings.coach_timezone
    return ctx.t("ticket_hours_later", hours=ctx.settings.coach_hours, tz=TZ_LABELS.get(tz, tz),
                 when=f"{day} {when:%H:%M}")


async def _to_coaches(ctx: Context, ticket_id: int, text: str, kind: str, key: str,
                      due_at: datetime | None = None) -> None:
    chat = coach_chat(ctx, ctx.partner.channel)
    if chat is None:
        log.warning("no coaches' chat configured (COACHBOT_COACH_CHAT_ID); ticket %s waits "
                    "for /tickets", ticket_id)
        return
    now = ctx.now()
    await ctx.repos.outbox.enqueue(
        channel=ctx.partner.channel, chat_id=chat, kind=kind,
        payload=reply_to_dict(Reply(text, ref=ticket_ref(ticket_id))), due_at=due_at or now,
        dedupe_key=key, now=now)


def _thread_buttons(ctx: Context, ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    return rows(Button(ctx.t("btn_menu"), make("tk", "menu", ticket_id)))


async def open_ticket(ctx: Context, text: str, question_id: int | None = None) -> list[Reply]:
    """Hands the partner's question to the coaches, or adds it to their open ticket."""
    repo = TicketRepo(ctx.repos.session)
    p = ctx.partner
    now = ctx.now()
    text = text.strip()
    ticket = await repo.current(p.id)
    if ticket is not None:
        await repo.set_thread(ticket.id, True)
        if text:
            return await _forward(ctx, ticket, text)
        return [Reply(ctx.t("ticket_opened_empty", ticket=ticket.id),
                      _thread_buttons(ctx, ticket.id))]
    ticket = await repo.create(partner_id=p.id, channel=p.channel, text=text, now=now,
                               question_id=question_id)
    if text:
        await repo.add_message(ticket.id, "partner", p.name, text, now)
    cohort = await ctx.repos.cohorts.by_id(p.cohort_id) if p.cohort_id else None
    question = _quote(text) if text else coach_t(ctx, "ticket_no_question")
    announce = coach_t(ctx, "ticket_new", ticket=ticket.id, name=_who(p),
                       cohort=cohort.name if cohort else coach_t(ctx, "ticket_no_cohort"),
                       pack=ctx.pack.meta.title.get(ctx.settings.coach_language),
                       where=await _where(ctx), lang=p.language, question=question)
    await _to_coaches(ctx, ticket.id, announce, "ticket", f"ticket:{ticket.id}:open")
    s = ctx.settings
    for n, due in enumerate(reannounce_times(now, s.ticket_reannounce_minutes,
                                             s.ticket_reannounce_times, coach_hours(ctx)), 1):
        age = int((due - now).total_seconds() // 60)
        await _to_coaches(ctx, ticket.id,
                          coach_t(ctx, "ticket_reminder", ticket=ticket.id, name=_who(p),
                                  age=age, question=question),
                          "ticket_reminder", f"ticket:{ticket.id}:remind:{n}", due_at=due)
    log.info("ticket %s opened", ticket.id, extra={"partner_id": p.id})
    key = "ticket_opened" if text else "ticket_opened_empty"
    return [Reply(ctx.t(key, ticket=ticket.id) + "\n" + _hours_note(ctx),
                  _thread_buttons(ctx, ticket.id))]


async def _forward(ctx: Context, ticket: TicketRecord, text: str) -> list[Reply]:
    """Puts the partner's message in the ticket's thread, where the coaches see it."""
    repo = TicketRepo(ctx.repos.session)
    mid = await repo.add_message(ticket.id, "partner", ctx.partner.name, text, ctx.now())
    await _to_coaches(ctx, ticket.id,
                      coach_t(ctx, "ticket_partner_says", ticket=ticket.id,
                              name=ctx.partner.name or ctx.partner.external_id,
                              text=_quote(text)),
                      "ticket_message", f"ticket:{ticket.id}:msg:{mid}")
    return [Reply(ctx.t("ticket_forwarded", ticket=ticket.id), _thread_buttons(ctx, ticket.id))]


async def coach_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/coach [question]: asks for a human at any time."""
    return await open_ticket(ctx, msg.args)


async def answer(msg: Inbound, ctx: Context, ticket_id: int, text: str) -> list[Reply]:
    """Sends a coach's answer to the partner and records who answered and how fast."""
    repo = TicketRepo(ctx.repos.session)
    ticket = await repo.get(ticket_id)
    partner = await ctx.repos.partners.by_id(ticket.partner_id) if ticket else None
    if ticket is None or partner is None or ticket.status is TicketStatus.CLOSED:
        return [Reply(ctx.t("ticket_not_found", ticket=ticket_id))]
    now = ctx.now()
    coach = _coach_name(msg, ctx)
    mid = await repo.add_message(ticket.id, "coach", coach, text, now)
    await repo.answered(ticket, coach, now)
    await repo.cancel_reminders(ticket.id)
    body = _text(ctx, partner.pack_id, "ticket_answer", partner.language, coach=coach,
                 text=text.strip())
    buttons = rows(Button(_text(ctx, partner.pack_id, "btn_ticket_solved", partner.language),
                          make("tk", "done", ticket.id)),
                   Button(_text(ctx, partner.pack_id, "btn_menu", partner.language),
                          make("tk", "menu", ticket.id)), width=2)
    await ctx.repos.outbox.enqueue(
        channel=partner.channel, chat_id=partner.chat_id, kind="ticket_answer",
        payload=reply_to_dict(Reply(body, buttons)), due_at=now,
        dedupe_key=f"ticket:{ticket.id}:answer:{mid}", now=now, partner_id=partner.id)
    seconds = ticket.answer_seconds if ticket.answer_seconds is not None else int(
        (now - ticket.created_at).total_seconds())
    return [Reply(ctx.t("ticket_reply_sent", ticket=ticket.id,
                        name=partner.name or partner.external_id, minutes=seconds // 60))]


def _split_ticket_args(args: str) -> tuple[int | None, str]:
    head, _, rest = args.strip().partition(" ")
    head = head.lstrip("#")
    return (int(head) if head.isdigit() and len(head) < 10 else None), rest.strip()


async def reply_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/reply <ticket> <text>: a coach answers a ticket."""
    if not is_coach(msg, ctx):
        return [Reply(ctx.t("coach_only"))]
    ticket_id, text = _split_ticket_args(msg.args)
    if ticket_id is None or not text:
        return [Reply(ctx.t("ticket_reply_usage"))]
    return await answer(msg, ctx, ticket_id, text)


async def close_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/close <ticket>: a coach closes a ticket; the partner's free text goes to the FAQ again."""
    if not is_coach(msg, ctx):
        return [Reply(ctx.t("coach_only"))]
    ticket_id, _ = _split_ticket_args(msg.args)
    if ticket_id is None:
        return [Reply(ctx.t("ticket_close_usage"))]
    repo = TicketRepo(ctx.repos.session)
    ticket = await repo.get(ticket_id)
    now = ctx.now()
    if ticket is None or not await repo.close(ticket_id, _coach_name(msg, ctx), now):
        return [Reply(ctx.t("ticket_not_found", ticket=ticket_id))]
    await repo.cancel_reminders(ticket_id)
    partner = await ctx.repos.partners.by_id(ticket.partner_id)
    if partner is not None:
        await ctx.repos.outbox.enqueue(
            channel=partner.channel, chat_id=partner.chat_id, kind="ticket_closed",
            payload=reply_to_dict(Reply(_text(ctx, partner.pack_id, "ticket_closed_by_coach",
                                              partner.language, ticket=ticket_id))),
            due_at=now, dedupe_key=f"ticket:{ticket_id}:closed", now=now,
            partner_id=partner.id)
    return [Reply(ctx.t("ticket_closed_ok", ticket=ticket_id))]


async def list_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/tickets: the coaches' view of every ticket not closed yet."""
    if not is_coach(msg, ctx):
        return [Reply(ctx.t("coach_only"))]
    tickets = await TicketRepo(ctx.repos.session).not_closed()
    if not tickets:
        return [Reply(ctx.t("ticket_list_empty"))]
    lines = [ctx.t("ticket_list_title", n=len(tickets))]
    now = ctx.now()
    for t in tickets[:30]:
        partner = await ctx.repos.partners.by_id(t.partner_id)
        name = (partner.name or partner.external_id) if partner else "?"
        lines.append(ctx.t("ticket_list_line", ticket=t.id, name=name,
                           age=int((now - t.created_at).total_seconds() // 60),
                           status=t.status.value, question=_quote(t.text)[:80] or "-"))
    return [Reply("\n".join(lines))]


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """The partner marks their ticket solved, or goes back to the menu (ending the thread)."""
    from handlers import menu

    action, raw = payload.get(0), payload.get(1)
    repo = TicketRepo(ctx.repos.session)
    ticket = await repo.get(int(raw)) if raw and raw.isdigit() and len(raw) < 10 else None
    if ticket is None or ticket.partner_id != ctx.partner.id:
        return await position.stale(msg, ctx)
    if action == "menu":
        if ticket.status is not TicketStatus.CLOSED:
            await repo.set_thread(ticket.id, False)
        return await menu.go_menu(msg, ctx)
    if action == "done":
        if not await repo.close(ticket.id, ctx.partner.name or "partner", ctx.now()):
            return await position.stale(msg, ctx)
        await repo.cancel_reminders(ticket.id)
        await _to_coaches(ctx, ticket.id,
                          coach_t(ctx, "ticket_partner_closed", ticket=ticket.id,
                                  name=ctx.partner.name or ctx.partner.external_id),
                          "ticket_closed", f"ticket:{ticket.id}:closed")
        return [Reply(ctx.t("ticket_solved", ticket=ticket.id)), *await position.show(ctx)]
    return await position.stale(msg, ctx)


async def intercept(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text in the coaches' chat answers tickets; a partner's goes to their open thread."""
    if msg.kind is not InboundKind.TEXT:
        return None
    in_coach_chat = msg.chat_id == coach_chat(ctx, msg.channel)
    if msg.reply_to_ref and (in_coach_chat or ctx.partner.role in ("coach", "admin")):
        ticket_id = await TicketRepo(ctx.repos.session).by_message_ref(
            msg.channel, msg.chat_id, msg.reply_to_ref)
        if ticket_id is not None:
            return await answer(msg, ctx, ticket_id, msg.text)
    if in_coach_chat:
        return [] if msg.is_group else [Reply(ctx.t("ticket_coach_chat_hint"))]
    if msg.is_group:
        return None
    ticket = await current_ticket(ctx)
    if ticket is None or not ticket.thread_open:
        return None
    return await _forward(ctx, ticket, msg.text)


def _ending_thread(handler: Handler) -> Handler:
    """Wraps /menu: returning to the menu ends the partner's ticket thread."""
    async def wrapped(msg: Inbound, ctx: Context) -> list[Reply]:
        ticket = await current_ticket(ctx)
        if ticket is not None and ticket.thread_open:
            await TicketRepo(ctx.repos.session).set_thread(ticket.id, False)
        return await handler(msg, ctx)
    wrapped.__doc__ = handler.__doc__
    return wrapped


def register(router: Router) -> None:
    router.command("coach", help_key="help_coach")(coach_command)
    router.command("reply", "balas", help_key="coach_help_reply", for_coaches=True)(
        reply_command)
    router.command("close", "tutup", help_key="coach_help_close", for_coaches=True)(
        close_command)
    router.command("tickets", "tiket", help_key="coach_help_tickets", for_coaches=True)(
        list_command)
    router.button("tk")(on_button)
    router.interceptors.append(intercept)
    menu_cmd = router.commands.get("menu")
    if menu_cmd is not None:
        menu_cmd.handler = _ending_thread(menu_cmd.handler)
    menu_button = router.buttons.get("m")
    if menu_button is not None:
        inner = menu_button

        async def menu_home(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
            if payload.get(0) == "home":
                ticket = await current_ticket(ctx)
                if ticket is not None and ticket.thread_open:
                    await TicketRepo(ctx.repos.session).set_thread(ticket.id, False)
            return await inner(payload, msg, ctx)

        router.buttons["m"] = menu_home


async def enroll_console_coach(app: CoachBot, user: str, name: str | None) -> None:
    """Makes the console user the coaches' chat (`coachbot chat --coach`), role coach."""
    now = app.clock.now()
    async with app.db.transaction() as session:
        repos = Repos(session)
        partner = await repos.partners.get("console", user)
        if partner is None:
            partner = await repos.partners.create(
                channel="console", external_id=user, chat_id=user,
                pack_id=app.settings.default_pack, now=now, language=app.settings.coach_language)
        if partner.role == "partner":
            partner.role = "coach"
        partner.name = partner.name or name or "Coach"
        await repos.partners.save(partner)
