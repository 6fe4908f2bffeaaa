"""Coaches grow the FAQ from a ticket: "add to FAQ" under a sent answer, or /faqadd."""

from __future__ import annotations

import logging

from bot.core import Inbound, Reply, rows
from handlers.faq.chat import index_of
from handlers.faq.taught import TeachError, TicketQuestion, from_ticket, teach
from handlers.kit.context import Context
from handlers.kit.teach import TeachButton
from handlers.tickets.chat import speaks_as_coach

log = logging.getLogger(__name__)

SUGGESTED = 2
QUOTE = 300
LABEL = 40


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[:QUOTE] + "…"


async def _source(ctx: Context, ticket_id: int) -> TicketQuestion:
    return await from_ticket(ctx.repos, ctx.library, ctx.settings.default_pack, ticket_id)


async def _choices(ctx: Context, ticket_id: int) -> list[Reply]:
    """The question and answer as they would be filed, a new entry or a wording of the
    entries the engine finds closest."""
    src = await _source(ctx, ticket_id)
    idx = await index_of(ctx, src.pack)
    buttons = [TeachButton(ticket_id, "new").button(ctx.t("btn_faq_add_new"))]
    for i, hit in enumerate(idx.search(src.question).hits[:SUGGESTED]):
        buttons.append(TeachButton(ticket_id, f"p{i}").button(
            ctx.t("btn_faq_add_wording", entry=idx.label(hit.entry_id, ctx.lang)[:LABEL])))
    return [Reply(ctx.t("faq_add_choose", ticket=ticket_id, question=_quote(src.question),
                        answer=_quote(src.answer)), rows(*buttons))]


async def _teach(msg: Inbound, ctx: Context, ticket_id: int, action: str) -> list[Reply]:
    """Files the ticket as a new entry (`new`), or its question under an entry (`pN`: the
    Nth suggestion; anything else: that entry's id)."""
    src = await _source(ctx, ticket_id)
    new = action == "new"
    if new:
        entry_id = f"ticket-{ticket_id}"
    elif action.startswith("p") and action[1:].isdigit():
        hits = (await index_of(ctx, src.pack)).search(src.question).hits
        if int(action[1:]) >= len(hits):
            raise TeachError("faq_add_no_entry", entry=action)
        entry_id = hits[int(action[1:])].entry_id
    else:
        entry_id = action
    by = ctx.partner.name or msg.display_name or ctx.partner.external_id
    await teach(ctx.repos, src.pack, lang=src.lang, question=src.question, entry_id=entry_id,
                answer=src.answer if new else None, ticket_id=ticket_id, by=by, now=ctx.now())
    log.info("ticket %s taught to the FAQ of %s as %s", ticket_id, src.pack.id, entry_id)
    key = "faq_added_new" if new else "faq_added_wording"
    return [Reply(ctx.t(key, ticket=ticket_id, entry=entry_id, pack=src.pack.id))]


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
    try:
        return await _teach(msg, ctx, int(head), rest.strip() or "new")
    except TeachError as exc:
        return [Reply(ctx.t(exc.key, **exc.values))]
