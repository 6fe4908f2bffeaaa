"""Hand-off to a human coach: tickets, the coaches' chat, and threads while a coach helps."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import Button, Inbound, InboundKind, Reply, rows
from bot.core.feature import DataSection
from bot.core.payloads import ButtonData, button
from bot.core.timezones import label
from bot.storage.repos import PartnerRecord
from handlers.kit.context import Context
from handlers.kit.people import coach_label
from handlers.kit.position import stale, where
from handlers.kit.teach import TeachButton
from handlers.learning import menu
from handlers.tickets.hours import CoachHours, reannounce_times
from handlers.tickets.models import TicketStatus
from handlers.tickets.repo import TicketRecord, TicketRepo, parse_ticket_ref, ticket_ref

log = logging.getLogger(__name__)

QUOTE_MAX = 700
# a coach who wrote to the bot this recently counts as present
PRESENT_WITHIN = timedelta(minutes=30)
DAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
        "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


@button("tk")
@dataclass(frozen=True, slots=True)
class TicketButton(ButtonData):
    """On a partner's ticket: `done` solved, `menu` back to the menu (ends the thread)."""

    action: str
    ticket: int


def coach_hours(ctx: Context) -> CoachHours:
    s = ctx.settings
    return CoachHours.parse(s.coach_hours, s.coach_days, s.coach_timezone)


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "…"


def _who(p: PartnerRecord) -> str:
    return f"{p.name or p.external_id} ({p.channel}:{p.external_id})"


def _coach_name(msg: Inbound, ctx: Context) -> str:
    return ctx.partner.name or msg.display_name or ctx.partner.external_id


def speaks_as_coach(ctx: Context) -> bool:
    """Who may answer tickets: coaches and admins, and anyone in the coaches' chat."""
    return ctx.is_coach or ctx.in_coach_chat


async def current_ticket(ctx: Context) -> TicketRecord | None:
    return await ctx.repo(TicketRepo).current(ctx.partner.id)


async def _where(ctx: Context) -> str:
    """Where the partner is, in the coaches' language, as the features describe it."""
    lang = ctx.settings.coach_language
    place = None
    for feature in ctx.features:
        place = await feature.place(ctx, lang)
        if place is not None:
            break
    marks, _ = await menu.status(ctx)
    done = sum(m == "done" for m in marks.values())
    return (place or ctx.coach_t("ticket_where_menu")) + " · " + ctx.coach_t(
        "ticket_where_done", done=done, total=len(marks))


async def _hours_note(ctx: Context) -> str:
    """When an answer can be expected; "a coach is here" only when one was active lately."""
    hours = coach_hours(ctx)
    now = ctx.now()
    if hours.is_open(now):
        present = await ctx.repo(TicketRepo).coach_active_since(now - PRESENT_WITHIN)
        return ctx.t("ticket_coach_present" if present else "ticket_hours_now")
    when = hours.next_open(now).astimezone(ZoneInfo(ctx.partner.timezone))
    day = DAYS.get(ctx.lang, DAYS["en"])[when.weekday()]
    return ctx.t("ticket_hours_later", hours=ctx.settings.coach_hours,
                 tz=label(ctx.settings.coach_timezone), when=f"{day} {when:%H:%M}")


async def _to_coaches(ctx: Context, ticket_id: int, text: str, kind: str, key: str,
                      due_at: datetime | None = None) -> None:
    address = ctx.coaches_address()
    if address is None:
        log.warning("no coaches' chat configured (COACHBOT_COACH_CHAT_ID); ticket %s waits "
                    "for /tickets", ticket_id)
        return
    channel, chat = address
    now = ctx.now()
    await ctx.outbox.add(channel=channel, chat_id=chat, kind=kind,
                         reply=Reply(text, ref=ticket_ref(ticket_id)), due_at=due_at or now,
                         dedupe_key=key, now=now)


def _reminders(ticket_id: int) -> str:
    return f"ticket:{ticket_id}:remind:"


def _thread_buttons(ctx: Context, ticket_id: int) -> tuple[tuple[Button, ...], ...]:
    return rows(TicketButton("menu", ticket_id).button(ctx.t("btn_menu")))


async def open_ticket(ctx: Context, text: str, question_id: int | None = None) -> list[Reply]:
    """Hands the partner's question to the coaches, or adds it to their open ticket."""
    repo = ctx.repo(TicketRepo)
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
    question = _quote(text) if text else ctx.coach_t("ticket_no_question")
    announce = ctx.coach_t("ticket_new", ticket=ticket.id, name=_who(p),
                       cohort=cohort.name if cohort else ctx.coach_t("ticket_no_cohort"),
                       pack=ctx.pack.meta.title.get(ctx.settings.coach_language),
                       where=await _where(ctx), lang=p.language, question=question)
    await _to_coaches(ctx, ticket.id, announce, "ticket", f"ticket:{ticket.id}:open")
    s = ctx.settings
    for n, due in enumerate(reannounce_times(now, s.ticket_reannounce_minutes,
                                             s.ticket_reannounce_times, coach_hours(ctx)), 1):
        age = int((due - now).total_seconds() // 60)
        await _to_coaches(ctx, ticket.id,
                          ctx.coach_t("ticket_reminder", ticket=ticket.id, name=_who(p),
                                  age=age, question=question),
                          "ticket_reminder", f"ticket:{ticket.id}:remind:{n}", due_at=due)
    log.info("ticket %s opened", ticket.id, extra={"partner_id": p.id})
    key = "ticket_opened" if text else "ticket_opened_empty"
    return [Reply(ctx.t(key, ticket=ticket.id) + "\n" + await _hours_note(ctx),
                  _thread_buttons(ctx, ticket.id))]


async def _forward(ctx: Context, ticket: TicketRecord, text: str) -> list[Reply]:
    """Puts the partner's message in the ticket's thread, where the coaches see it."""
    repo = ctx.repo(TicketRepo)
    mid = await repo.add_message(ticket.id, "partner", ctx.partner.name, text, ctx.now())
    await _to_coaches(ctx, ticket.id,
                      ctx.coach_t("ticket_partner_says", ticket=ticket.id,
                              name=ctx.partner.name or ctx.partner.external_id,
                              text=_quote(text)),
                      "ticket_message", f"ticket:{ticket.id}:msg:{mid}")
    return [Reply(ctx.t("ticket_forwarded", ticket=ticket.id), _thread_buttons(ctx, ticket.id))]


async def coach_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/coach [question]: asks for a human at any time."""
    return await open_ticket(ctx, msg.args)


async def answer(msg: Inbound, ctx: Context, ticket_id: int, text: str) -> list[Reply]:
    """Sends a coach's answer to the partner and records who answered and how fast."""
    repo = ctx.repo(TicketRepo)
    ticket = await repo.get(ticket_id)
    partner = await ctx.repos.partners.by_id(ticket.partner_id) if ticket else None
    if ticket is None or partner is None or ticket.status is TicketStatus.CLOSED:
        return [Reply(ctx.t("ticket_not_found", ticket=ticket_id))]
    now = ctx.now()
    coach = _coach_name(msg, ctx)
    mid = await repo.add_message(ticket.id, "coach", coach, text, now)
    await repo.answered(ticket, coach, now)
    await ctx.outbox.cancel_prefix(_reminders(ticket.id))
    shown = coach_label(ctx.partner.name or msg.display_name,
                        lambda key, **kw: ctx.t_for(partner, key, **kw))
    body = ctx.t_for(partner, "ticket_answer", coach=shown, text=text.strip())
    buttons = rows(TicketButton("done", ticket.id).button(ctx.t_for(partner,
                                                                    "btn_ticket_solved")),
                   TicketButton("menu", ticket.id).button(ctx.t_for(partner, "btn_menu")),
                   width=2)
    await ctx.outbox.add(
        channel=partner.channel, chat_id=partner.chat_id, kind="ticket_answer",
        reply=Reply(body, buttons), due_at=now,
        dedupe_key=f"ticket:{ticket.id}:answer:{mid}", now=now, partner_id=partner.id)
    seconds = ticket.answer_seconds if ticket.answer_seconds is not None else int(
        (now - ticket.created_at).total_seconds())
    return [Reply(ctx.t("ticket_reply_sent", ticket=ticket.id,
                        name=partner.name or partner.external_id, minutes=seconds // 60),
                  rows(TeachButton(ticket.id).button(ctx.t("btn_faq_add"))))]


def _split_ticket_args(args: str) -> tuple[int | None, str]:
    head, _, rest = args.strip().partition(" ")
    head = head.lstrip("#")
    return (int(head) if head.isdigit() and len(head) < 10 else None), rest.strip()


async def reply_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/reply <ticket> <text>: a coach answers a ticket."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    ticket_id, text = _split_ticket_args(msg.args)
    if ticket_id is None or not text:
        return [Reply(ctx.t("ticket_reply_usage"))]
    return await answer(msg, ctx, ticket_id, text)


async def close_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/close <ticket>: a coach closes a ticket; the partner's free text goes to the FAQ again."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    ticket_id, _ = _split_ticket_args(msg.args)
    if ticket_id is None:
        return [Reply(ctx.t("ticket_close_usage"))]
    repo = ctx.repo(TicketRepo)
    ticket = await repo.get(ticket_id)
    now = ctx.now()
    if ticket is None or not await repo.close(ticket_id, _coach_name(msg, ctx), now):
        return [Reply(ctx.t("ticket_not_found", ticket=ticket_id))]
    await ctx.outbox.cancel_prefix(_reminders(ticket_id))
    partner = await ctx.repos.partners.by_id(ticket.partner_id)
    if partner is not None:
        await ctx.outbox.add(
            channel=partner.channel, chat_id=partner.chat_id, kind="ticket_closed",
            reply=Reply(ctx.t_for(partner, "ticket_closed_by_coach", ticket=ticket_id)),
            due_at=now, dedupe_key=f"ticket:{ticket_id}:closed", now=now,
            partner_id=partner.id)
    return [Reply(ctx.t("ticket_closed_ok", ticket=ticket_id))]


async def list_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/tickets: the coaches' view of every ticket not closed yet."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    tickets = await ctx.repo(TicketRepo).not_closed()
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


async def on_button(data: TicketButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """The partner marks their ticket solved, or goes back to the menu (ending the thread)."""
    action = data.action
    repo = ctx.repo(TicketRepo)
    ticket = await repo.get(data.ticket)
    if ticket is None or ticket.partner_id != ctx.partner.id:
        return await stale(msg, ctx)
    if action == "menu":
        if ticket.status is not TicketStatus.CLOSED:
            await repo.set_thread(ticket.id, False)
        return await menu.go_menu(msg, ctx)
    if action == "done":
        if not await repo.close(ticket.id, ctx.partner.name or "partner", ctx.now()):
            return await stale(msg, ctx)
        await ctx.outbox.cancel_prefix(_reminders(ticket.id))
        await _to_coaches(ctx, ticket.id,
                          ctx.coach_t("ticket_partner_closed", ticket=ticket.id,
                                  name=ctx.partner.name or ctx.partner.external_id),
                          "ticket_closed", f"ticket:{ticket.id}:closed")
        return [Reply(ctx.t("ticket_solved", ticket=ticket.id)), *await where(ctx)]
    return await stale(msg, ctx)


async def intercept(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text in the coaches' chat answers tickets; a partner's goes to their open thread."""
    if msg.kind is not InboundKind.TEXT:
        return None
    in_coach_chat = ctx.in_coach_chat
    if msg.reply_to_ref and (in_coach_chat or ctx.is_coach):
        ticket_id = await _replied_ticket(msg, ctx, msg.reply_to_ref)
        if ticket_id is not None:
            return await answer(msg, ctx, ticket_id, msg.text)
    if in_coach_chat or msg.is_group:
        return None  # a coach's guided flow may take it; else `coach_chat_rest` answers
    ticket = await current_ticket(ctx)
    if ticket is None or not ticket.thread_open:
        return None
    return await _forward(ctx, ticket, msg.text)


async def coach_chat_rest(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text in the coaches' chat that no flow took: chatter between coaches stays
    unanswered in a group; the coach console gets a hint."""
    if msg.kind is not InboundKind.TEXT or not ctx.in_coach_chat:
        return None
    return [] if msg.is_group else [Reply(ctx.t("ticket_coach_chat_hint"))]


async def _replied_ticket(msg: Inbound, ctx: Context, message_ref: str) -> int | None:
    """The ticket a message in the coaches' chat belongs to (for a coach's reply)."""
    for row in await ctx.outbox.by_message_ref(msg.channel, message_ref, chat_id=msg.chat_id):
        found = parse_ticket_ref(row.payload.get("ref"))
        if found is not None:
            return found
    return None


async def end_thread(ctx: Context) -> None:
    """Going back to the menu ends the partner's ticket thread."""
    ticket = await current_ticket(ctx)
    if ticket is not None and ticket.thread_open:
        await ctx.repo(TicketRepo).set_thread(ticket.id, False)


async def my_ticket(ctx: Context) -> Reply:
    """The partner's question with the coaches, as a live FAQ answer
    (`answer_from: my_ticket`): waiting, or answered and by whom; or that there is none."""
    ticket = await current_ticket(ctx)
    if ticket is None:
        return Reply(ctx.t("ticket_live_none"))
    question = _quote(ticket.text)[:120] or "-"
    if ticket.status is TicketStatus.OPEN:
        return Reply(ctx.t("ticket_live_waiting", ticket=ticket.id, question=question) + "\n"
                     + await _hours_note(ctx))
    return Reply(ctx.t("ticket_live_answered", ticket=ticket.id, question=question,
                       coach=ticket.answered_by or "-"),
                 rows(TicketButton("done", ticket.id).button(ctx.t("btn_ticket_solved"))))


async def my_data(ctx: Context) -> list[DataSection]:
    """The partner's tickets: what they asked the coaches and the thread of each."""
    repo = ctx.repo(TicketRepo)
    tickets = await repo.of_partner(ctx.partner.id)
    if not tickets:
        return []
    lines = [ctx.t("mydata_tickets", n=len(tickets))]
    lines += [f"🎫 #{t.id}: {t.text[:300]}" for t in tickets[-5:] if t.text]
    export = []
    for t in tickets:
        thread = await repo.messages(t.id)
        export.append({"id": t.id, "question": t.text, "status": t.status.value,
                       "created_at": t.created_at.isoformat(),
                       "messages": [{"from": m.author, "text": m.text,
                                     "at": m.created_at.isoformat()} for m in thread]})
    return [DataSection("tickets", lines, export)]


async def forget(ctx: Context) -> None:
    """The copies of the partner's tickets sent or due in the coaches' chat (their name,
    their words) go with them; the tickets themselves go with the partner's row."""
    for t in await ctx.repo(TicketRepo).of_partner(ctx.partner.id):
        await ctx.outbox.delete_prefix(f"ticket:{t.id}:")
