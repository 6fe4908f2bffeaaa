"""Coaches grow the FAQ from a ticket: "add to FAQ" under a sent answer, or /faqadd."""

from __future__ import annotations

import logging

from bot.core import Inbound, Reply, rows
from content.loader import Pack
from handlers.faq.chat import index_of
from handlers.faq.taught import Taught, TaughtRepo, TeachError, check
from handlers.kit.context import Context
from handlers.kit.teach import TeachButton
from handlers.tickets.chat import speaks_as_coach
from handlers.tickets.repo import TicketRepo

log = logging.getLogger(__name__)

SUGGESTED = 2
QUOTE = 300
LABEL = 40


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


async def _source(ctx: Context, ticket_id: int) -> tuple[Pack, str, str, str]:
    """The ticket's pack, language, the partner's question and the coach's latest answer."""
    repo = ctx.repo(TicketRepo)
    ticket = await repo.get(ticket_id)
    partner = await ctx.repos.partners.by_id(ticket.partner_id) if ticket else None
    if ticket is None or partner is None:
        raise TeachError("faq_add_no_ticket", ticket=ticket_id)
    messages = await repo.messages(ticket.id)
    question = ticket.text or next((m.text for m in messages if m.author == "partner"), "")
    answer = next((m.text for m in reversed(messages) if m.author == "coach"), "")
    if not question.strip() or not answer.strip():
        raise TeachError("faq_add_unanswered", ticket=ticket_id)
    pack = ctx.library.packs.get(partner.pack_id) or ctx.library.fallback(
        None, ctx.settings.default_pack)
    return pack, partner.language, question, answer.strip()


async def _choices(ctx: Context, ticket_id: int) -> list[Reply]:
    """The question and answer as they would be filed, a new entry or a wording of the
    entries the engine finds closest."""
    pack, _, question, answer = await _source(ctx, ticket_id)
    idx = await index_of(ctx, pack)
    buttons = [TeachButton(ticket_id, "new").button(ctx.t("btn_faq_add_new"))]
    for i, hit in enumerate(idx.search(question).hits[:SUGGESTED]):
        buttons.append(TeachButton(ticket_id, f"p{i}").button(
            ctx.t("btn_faq_add_wording", entry=idx.label(hit.entry_id, ctx.lang)[:LABEL])))
    return [Reply(ctx.t("faq_add_choose", ticket=ticket_id, question=_quote(question),
                        answer=_quote(answer)), rows(*buttons))]


async def _teach(msg: Inbound, ctx: Context, ticket_id: int, action: str) -> list[Reply]:
    """Files the ticket as a new entry (`new`), or its question under an entry (`pN`: the
    Nth suggestion; anything else: that entry's id)."""
    pack, lang, question, answer = await _source(ctx, ticket_id)
    repo = ctx.repo(TaughtRepo)
    done = await repo.by_ticket(ticket_id)
    if done is not None:
        raise TeachError("faq_add_already", ticket=ticket_id, entry=done.entry_id)
    taught = await repo.of_pack(pack.id)
    new = action == "new"
    if new:
        entry_id = f"ticket-{ticket_id}"
    elif action.startswith("p") and action[1:].isdigit():
        hits = (await index_of(ctx, pack)).search(question).hits
        if int(action[1:]) >= len(hits):
            raise TeachError("faq_add_no_entry", entry=action)
        entry_id = hits[int(action[1:])].entry_id
    else:
        entry_id = action
    text = check(pack, taught, question=question, answer=answer if new else None,
                 entry_id=entry_id)
    by = ctx.partner.name or msg.display_name or ctx.partner.external_id
    await repo.add(Taught(0, pack.id, entry_id, lang, text,
                          answer if new and lang != "en" else None,
                          answer if new and lang == "en" else None, ticket_id), by, ctx.now())
    log.info("ticket %s taught to the FAQ of %s as %s", ticket_id, pack.id, entry_id)
    key = "faq_added_new" if new else "faq_added_wording"
    return [Reply(ctx.t(key, ticket=ticket_id, entry=entry_id, pack=pack.id))]


async def on_button(data: TeachButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """"Add to FAQ" under an answered ticket: the choices, then the filing."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    try:
        if data.action is None:
            return await _choices(ctx, data.ticket)
        return await _teach(msg, ctx, data.ticket, data.action)
    except TeachError as exc:
        return [Reply(ctx.t(exc.key, **exc.values))]


async def faqadd_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/faqadd <ticket> [entry]: the ticket as a new FAQ entry, or its question as another
    wording of `entry`."""
    if not speaks_as_coach(ctx):
        return [Reply(ctx.t("coach_only"))]
    head, _, rest = msg.args.strip().partition(" ")
    head = head.lstrip("#")
    if not head.isdigit() or len(head) > 9:
        return [Reply(ctx.t("faq_add_usage"))]
    entry = rest.strip()
    try:
        return await _teach(msg, ctx, int(head), entry or "new")
    except TeachError as exc:
        return [Reply(ctx.t(exc.key, **exc.values))]
