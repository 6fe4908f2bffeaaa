"""/partner NAME|ID: one partner as a coach sees them, with buttons to message them or open
a ticket for them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from bot.core import MAX_TEXT, Inbound, Reply, rows
from bot.core.payloads import ButtonData, button
from bot.core.timezones import fmt_local
from bot.storage.repos import PartnerRecord
from handlers.audience import flows as flow
from handlers.audience.models import DraftKind, DraftStep
from handlers.coaches.profile import PartnerProfile, ProfileRepo, gather
from handlers.kit.context import Context
from handlers.kit.people import coach_label
from handlers.tickets.repo import TicketRepo, ticket_ref

QUOTE = 160
SHOWN = 8  # reflections and quiz attempts shown in chat (the latest)
MESSAGE_MAX = 3500


@button("pf")
@dataclass(frozen=True, slots=True)
class PartnerButton(ButtonData):
    """`show` a partner's profile, `msg` write to them, `tk` open a ticket for them."""

    action: str
    partner: int


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


def _ago(ctx: Context, when: datetime) -> str:
    days = (ctx.now() - when).days
    return ctx.t("profile_today") if days < 1 else ctx.t("profile_days_ago", n=days)


def render(ctx: Context, p: PartnerProfile, place: str | None = None) -> str:
    """The profile as chat text, in the coach's language; `place` says where the partner is
    when they are outside a module."""
    tz = ctx.partner.timezone
    lines = [ctx.t("profile_head", name=p.name, who=f"{p.channel}:{p.external_id}",
                   id=p.partner_id),
             ctx.t("profile_group", cohort=p.cohort or ctx.t("profile_no_cohort"),
                   pack=p.pack_title)]
    if p.module:
        place = ctx.t("profile_in_module", module=p.module, step=p.step_no or "?",
                      steps=p.steps or "?")
    else:
        place = place or ctx.t("profile_state", state=p.state)
    lines.append(ctx.t("profile_place", place=place, done=p.modules_done,
                       total=p.modules_total))
    lines.append(ctx.t("profile_last_active", when=fmt_local(p.last_active_at, tz),
                       ago=_ago(ctx, p.last_active_at)))
    if not p.reachable:
        lines.append(ctx.t("profile_opted_out" if p.opted_out else "profile_unreachable"))
    lines.append("")
    lines.append(ctx.t("profile_reflections", n=len(p.reflections)))
    for ref in p.reflections[-SHOWN:]:
        lines.append(f"• {_quote(ref.prompt)}\n  ↳ “{_quote(ref.answer)}”")
    lines.append(ctx.t("profile_quizzes", n=len(p.quizzes)))
    for q in p.quizzes[-SHOWN:]:
        mark = "✅" if q.passed else "❌"
        line = f"• {q.title}: {q.score}/{q.total} {mark}"
        if q.missed:
            line += " — " + ctx.t("profile_missed", topics=", ".join(q.missed))
        lines.append(line)
    rated = [r for r in p.ratings if r.before is not None or r.after is not None]
    lines.append(ctx.t("profile_ratings"))
    for r in rated:
        lines.append(f"• {_quote(r.statement)}: {r.before or '–'} → {r.after or '–'}")
    if not rated:
        lines.append("• –")
    lines.append(ctx.t("profile_tickets", n=len(p.tickets)))
    for t in p.tickets[-SHOWN:]:
        lines.append(f"• #{t.id} {t.status}: {_quote(t.question) or '–'}")
    for section in p.sections:
        lines.append(f"*{section.title}*")
        lines += section.lines or ["• –"]
    nxt = (fmt_local(p.nudges_pending[0].due_at, tz) if p.nudges_pending
           else ctx.t("profile_none"))
    lines.append(ctx.t("profile_nudges", sent=len(p.nudges_sent),
                       pending=len(p.nudges_pending), next=nxt))
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


async def _place(ctx: Context, partner: PartnerRecord) -> str:
    """Where the partner is, in words the features give (as in a ticket's card)."""
    theirs = dataclasses.replace(ctx, partner=partner)
    for feature in ctx.features:
        place = await feature.place(theirs, ctx.lang)
        if place is not None:
            return place
    return ctx.library.t(partner.pack_id, ctx.lang, "ticket_where_menu")


async def _show(ctx: Context, partner: PartnerRecord) -> list[Reply]:
    profile = await gather(ctx.repos, ctx.library, partner, ctx.lang, scope=ctx.scope())
    buttons = rows(PartnerButton("msg", partner.id).button(ctx.t("profile_btn_message")),
                   PartnerButton("tk", partner.id).button(ctx.t("profile_btn_ticket")),
                   width=2)
    return [Reply(render(ctx, profile, await _place(ctx, partner)),
                  buttons if profile.reachable else ())]


async def show(msg: Inbound, ctx: Context) -> list[Reply]:
    """/partner NAME|ID: the profile, or a choice when several partners match."""
    if not msg.args.strip():
        return [Reply(ctx.t("profile_usage"))]
    found = await ctx.repo(ProfileRepo).find(msg.args)
    if not found:
        return [Reply(ctx.t("profile_not_found", query=_quote(msg.args)))]
    if len(found) == 1:
        return await _show(ctx, found[0])
    choices = [PartnerButton("show", p.id).button(
        f"{p.name or p.external_id} ({p.channel}:{p.external_id})"[:60]) for p in found]
    return [Reply(ctx.t("profile_choose", n=len(found)), rows(*choices))]


async def on_button(data: PartnerButton, msg: Inbound, ctx: Context) -> list[Reply]:
    if not ctx.is_coach:
        return flow.refuse(ctx)
    partner = await ctx.repos.partners.by_id(data.partner)
    if partner is None:
        return [Reply(ctx.t("profile_not_found", query=f"#{data.partner}"))]
    if data.action == "show":
        return await _show(ctx, partner)
    if data.action == "msg":
        await flow.start(ctx, DraftKind.MESSAGE, DraftStep.TEXT, partner=partner.id)
        return [Reply(ctx.t("profile_ask_message", name=partner.name or partner.external_id),
                      rows(PartnerButton("stop", partner.id).button(
                          ctx.t("coach_btn_stop_flow"))))]
    if data.action == "stop":
        return await flow.stop(ctx)
    if data.action == "tk":
        return await _open_ticket(ctx, partner)
    return flow.stale(ctx)


async def _open_ticket(ctx: Context, partner: PartnerRecord) -> list[Reply]:
    """Opens a ticket in the partner's name, so their answers reach the coaches' chat and
    coaches answer with /reply."""
    repo = ctx.repo(TicketRepo)
    current = await repo.current(partner.id)
    if current is not None:
        return [Reply(ctx.t("profile_ticket_exists", ticket=current.id))]
    now = ctx.now()
    coach = ctx.partner.name or ctx.t("coach_word")
    ticket = await repo.create(partner_id=partner.id, channel=partner.channel,
                               text=ctx.coach_t("profile_ticket_text", coach=coach), now=now)
    address = ctx.coaches_address(partner.channel)
    if address is not None:
        channel, chat = address
        await ctx.outbox.add(
            channel=channel, chat_id=chat, kind="ticket",
            reply=Reply(ctx.coach_t("profile_ticket_announce", ticket=ticket.id, coach=coach,
                                    name=partner.name or partner.external_id),
                        ref=ticket_ref(ticket.id)),
            due_at=now, dedupe_key=f"ticket:{ticket.id}:open", now=now)
    return [Reply(ctx.t("profile_ticket_opened", ticket=ticket.id,
                        name=partner.name or partner.external_id))]


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """The coach's message to one partner, typed after pressing "message"."""
    draft = await flow.current(ctx, DraftKind.MESSAGE)
    if draft is None:
        return None
    partner = await ctx.repos.partners.by_id(int(str(draft.data.get("partner", 0))))
    await flow.clear(ctx)
    if partner is None:
        return flow.stale(ctx)
    text = msg.text.strip()[:MESSAGE_MAX]  # room for the greeting line in one message
    now = ctx.now()
    coach = coach_label(ctx.partner.name or msg.display_name,
                        lambda key, **kw: ctx.t_for(partner, key, **kw))
    await ctx.outbox.add(
        channel=partner.channel, chat_id=partner.chat_id, kind="coach_message",
        reply=Reply(ctx.t_for(partner, "coach_message", coach=coach, text=text)), due_at=now,
        dedupe_key=f"coach_message:{partner.id}:{msg.update_id or now.isoformat()}", now=now,
        partner_id=partner.id)
    return [Reply(ctx.t("profile_message_queued", name=partner.name or partner.external_id))]
