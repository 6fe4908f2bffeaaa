"""Questions in the partner's own words: the FAQ engine, /tanya and /ask, "did this help?"."""

from __future__ import annotations

import logging

from bot.core import Button, Inbound, Reply, rows
from bot.faq import Band, FaqEngines, FaqIndex
from bot.faq.repos import FaqLogRepo, QuestionRecord
from bot.faq.text import is_smalltalk
from handlers import position
from handlers.context import Context
from handlers.payloads import Payload, make
from handlers.router import Router

log = logging.getLogger(__name__)

LABEL_MAX = 60


def engines(ctx: Context) -> FaqEngines:
    """The shared per-pack indexes; built here only when start-up did not build them."""
    if ctx.services.faq is None:
        ctx.services.faq = FaqEngines(ctx.settings)
    return ctx.services.faq


def index(ctx: Context) -> FaqIndex:
    return engines(ctx).for_pack(ctx.pack)


def _help_buttons(ctx: Context, qid: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(ctx.t("btn_faq_yes"), make("fq", qid, "y")),
         Button(ctx.t("btn_faq_no_coach"), make("fq", qid, "n"))),
    )


def _answer_reply(ctx: Context, idx: FaqIndex, entry_id: str, qid: int) -> Reply:
    text = idx.answer(entry_id, ctx.lang) + "\n\n" + ctx.t("faq_did_it_help")
    return Reply(text, _help_buttons(ctx, qid))


async def ask(text: str, ctx: Context) -> list[Reply]:
    """Answers, offers the likeliest entries, or says honestly it does not know."""
    small = is_smalltalk(text)
    if small == "thanks":
        return [Reply(ctx.t("faq_thanks"))]
    if small == "hello":
        return [Reply(ctx.t("faq_hello"))]
    idx = index(ctx)
    match = idx.search(text)
    record = await FaqLogRepo(ctx.repos.session).log(
        partner_id=ctx.partner.id, pack_id=ctx.pack.id, lang=ctx.lang, text=text, match=match,
        now=ctx.now())
    log.info("faq question %s: %s %.3f %s", record.id, match.band.value, match.confidence,
             match.top, extra={"partner_id": ctx.partner.id})
    if match.band is Band.ANSWER and match.top is not None:
        return [_answer_reply(ctx, idx, match.top, record.id)]
    if match.band is Band.OFFER:
        buttons = [Button(idx.label(h.entry_id, ctx.lang)[:LABEL_MAX],
                          make("fq", record.id, f"p{i}"))
                   for i, h in enumerate(match.hits)]
        buttons.append(Button(ctx.t("btn_faq_ask_coach"), make("fq", record.id, "c")))
        return [Reply(ctx.t("faq_offer"), rows(*buttons))]
    return [Reply(ctx.t("faq_unknown"),
                  rows(Button(ctx.t("btn_faq_ask_coach"), make("fq", record.id, "c")),
                       Button(ctx.t("btn_menu"), make("m", "home")), width=2))]


async def ask_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/tanya and /ask: the question after the command goes to the FAQ engine."""
    if not msg.args.strip():
        return [Reply(ctx.t("faq_ask_prompt"))]
    return await ask(msg.args, ctx)


async def fallback(msg: Inbound, ctx: Context) -> list[Reply]:
    """Free text nobody is waiting for: a question for the FAQ engine."""
    if msg.is_group:  # the coaches' chat: stay quiet unless spoken to with a command
        return []
    if ctx.partner.onboarded_at is None:
        from handlers import common

        return await common.not_understood(msg, ctx)
    return await ask(msg.text, ctx)


async def _own_question(payload: Payload, ctx: Context) -> QuestionRecord | None:
    raw = payload.get(0)
    if raw is None or not raw.isdigit():
        return None
    record = await FaqLogRepo(ctx.repos.session).get(int(raw))
    if record is None or record.partner_id != ctx.partner.id:
        return None
    return record


async def on_button(payload: Payload, msg: Inbound, ctx: Context) -> list[Reply]:
    """Handles "yes, it helped", "no, ask a coach", a pick from the top 3, or "ask a coach"."""
    from handlers import tickets

    record = await _own_question(payload, ctx)
    action = payload.get(1) or ""
    if record is None:
        return await position.stale(msg, ctx)
    repo = FaqLogRepo(ctx.repos.session)
    idx = index(ctx)
    if action.startswith("p") and action[1:].isdigit():
        i = int(action[1:])
        if i >= len(record.offered) or record.offered[i] not in idx.by_id:
            return await position.stale(msg, ctx)
        entry_id = record.offered[i]
        await repo.choose(record.id, entry_id)
        return [_answer_reply(ctx, idx, entry_id, record.id)]
    if action == "y":
        if not await repo.feedback(record.id, True, ctx.now()):
            return [Reply(ctx.t("faq_feedback_noted")), *await position.show(ctx)]
        return [Reply(ctx.t("faq_glad")), *await position.show(ctx)]
    if action in ("n", "c"):
        if action == "n" and not await repo.feedback(record.id, False, ctx.now()):
            current = await tickets.current_ticket(ctx)
            if current is not None:
                return [Reply(ctx.t("faq_feedback_noted"))]
        return await tickets.open_ticket(ctx, record.text, question_id=record.id)
    return await position.stale(msg, ctx)


def register(router: Router) -> None:
    router.command("tanya", "ask", help_key="help_ask")(ask_command)
    router.button("fq")(on_button)
    router.fallback = fallback
