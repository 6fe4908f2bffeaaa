"""Questions in the partner's own words: the FAQ engine, /tanya and /ask, "did this help?"."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core import Button, Inbound, Reply, rows
from bot.core.payloads import ButtonData, button
from content.loader import Pack
from handlers.faq.engine import Band, Chat, FaqEngines, FaqIndex
from handlers.faq.feedback import typed_feedback
from handlers.faq.repo import FaqLogRepo, QuestionRecord
from handlers.faq.taught import TaughtRepo, build_index
from handlers.kit.context import Context
from handlers.kit.feature import live_answer
from handlers.kit.position import stale, where
from handlers.learning.buttons import HOME
from handlers.tickets import chat as tickets

log = logging.getLogger(__name__)

LABEL_MAX = 60


@button("fq")
@dataclass(frozen=True, slots=True)
class FaqButton(ButtonData):
    """On a logged question: `y` it helped, `n` it did not, `pN` the Nth offered entry,
    `c` ask a coach."""

    question: int
    action: str | None = None


def engines(ctx: Context) -> FaqEngines:
    """The shared per-pack indexes; built here only when start-up did not build them."""
    found = ctx.services.get(FaqEngines)
    if found is None:
        found = FaqEngines(ctx.settings)
        ctx.services.put(found)
    return found


@dataclass
class TaughtIndexes:
    """Each pack's index rebuilt with what coaches taught it, kept until they teach more."""

    built: dict[str, tuple[int, FaqIndex]] = field(default_factory=dict)
    # one rebuild at a time: questions arriving meanwhile wait for it rather than repeat it
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def index_of(ctx: Context, pack: Pack) -> FaqIndex:
    """The pack's index with what coaches taught it so far (one small query to know)."""
    base = engines(ctx).for_pack(pack)
    repo = ctx.repo(TaughtRepo)
    version = await repo.version(pack.id)
    if version == 0:
        return base
    cache = ctx.services.get(TaughtIndexes)
    if cache is None:
        cache = TaughtIndexes()
        ctx.services.put(cache)
    found = cache.built.get(pack.id)
    if found is None or found[0] != version:
        async with cache.lock:
            found = cache.built.get(pack.id)
            if found is None or found[0] != version:
                taught = await repo.of_pack(pack.id)
                # about a second of CPU for a pack's FAQ: off the event loop, so the other
                # partners' messages go on meanwhile
                built = await asyncio.to_thread(build_index, pack, taught, base.thresholds)
                found = cache.built[pack.id] = (version, built)
    return found[1]


async def index(ctx: Context) -> FaqIndex:
    return await index_of(ctx, ctx.pack)


def _help_buttons(ctx: Context, qid: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (FaqButton(qid, "y").button(ctx.t("btn_faq_yes")),
         FaqButton(qid, "n").button(ctx.t("btn_faq_no_coach"))),
    )


async def _answer_reply(ctx: Context, idx: FaqIndex, entry_id: str, qid: int) -> Reply:
    """The entry's answer; one that names a live source (`answer_from`) starts with what the
    bot's own data says now (the webinars actually scheduled), then the written answer."""
    text = idx.answer(entry_id, ctx.lang)
    buttons: tuple[tuple[Button, ...], ...] = ()
    source = idx.by_id[entry_id].answer_from
    found = live_answer(ctx.features, source) if source else None
    if found is not None:
        live = await found(ctx)
        if live is not None:
            text = live.text + "\n\n" + text
            buttons = live.buttons
    text += "\n\n" + ctx.t("faq_did_it_help")
    return Reply(text, buttons + _help_buttons(ctx, qid))


# a message that asks the FAQ nothing gets a short reply of its kind, and is not logged as
# a question (it would only crowd `coachbot faq gaps`)
CHAT_REPLIES = {Chat.THANKS: "faq_thanks", Chat.HELLO: "faq_hello", Chat.ACK: "faq_ack",
                Chat.VAGUE: "faq_vague"}


# how long after an answer "makasih" or "maksudnya?" is about that answer
AFTER_ANSWER = timedelta(minutes=10)


async def _answered_just_now(ctx: Context) -> QuestionRecord | None:
    """The partner's last question, when the bot answered it a moment ago."""
    last = await ctx.repo(FaqLogRepo).latest(ctx.partner.id)
    if last is None or ctx.now() - last.created_at > AFTER_ANSWER:
        return None
    return last if (last.band is Band.ANSWER or last.chosen_entry_id) else None


async def _chat_reply(chat: Chat, ctx: Context) -> list[Reply]:
    """Thanks right after an answer says it helped; "maksudnya?" right after one asks what
    was unclear and offers the coach on that question; otherwise a short reply of its kind."""
    if chat in (Chat.THANKS, Chat.VAGUE):
        last = await _answered_just_now(ctx)
        if last is not None and chat is Chat.THANKS:
            await ctx.repo(FaqLogRepo).feedback(last.id, True, ctx.now())
        elif last is not None and last.helped is not True:
            return [Reply(ctx.t("faq_vague_after_answer"),
                          rows(FaqButton(last.id, "c").button(ctx.t("btn_faq_ask_coach"))))]
    return [Reply(ctx.t(CHAT_REPLIES[chat]))]


async def _typed_feedback(helped: bool, ctx: Context) -> list[Reply] | None:
    """"iya membantu" or "ga, masih bingung" typed under an answer that asked "did this
    help?": the same as its buttons, except that "no" asks before calling a coach."""
    last = await _answered_just_now(ctx)
    if last is None or not await ctx.repo(FaqLogRepo).feedback(last.id, helped, ctx.now()):
        return None
    if helped:
        return [Reply(ctx.t("faq_glad"))]
    return [Reply(ctx.t("faq_typed_not_helped"),
                  rows(FaqButton(last.id, "c").button(ctx.t("btn_faq_ask_coach"))))]


async def ask(text: str, ctx: Context) -> list[Reply]:
    """Answers, offers the likeliest entries, or says honestly it does not know; asks what
    a question with no topic is about."""
    helped = typed_feedback(text)
    if helped is not None:
        replies = await _typed_feedback(helped, ctx)
        if replies is not None:
            return replies
    idx = await index(ctx)
    match = idx.search(text)
    if match.chat is not None:
        return await _chat_reply(match.chat, ctx)
    record = await ctx.repo(FaqLogRepo).log(
        partner_id=ctx.partner.id, pack_id=ctx.pack.id, lang=ctx.lang, text=text, match=match,
        now=ctx.now())
    log.info("faq question %s: %s %.3f %s", record.id, match.band.value, match.confidence,
             match.top, extra={"partner_id": ctx.partner.id})
    if match.band is Band.ANSWER and match.top is not None:
        return [await _answer_reply(ctx, idx, match.top, record.id)]
    if match.band is Band.OFFER:
        buttons = [FaqButton(record.id, f"p{i}").button(
            idx.label(h.entry_id, ctx.lang)[:LABEL_MAX]) for i, h in enumerate(match.hits)]
        buttons.append(FaqButton(record.id, "c").button(ctx.t("btn_faq_ask_coach")))
        return [Reply(ctx.t("faq_offer"), rows(*buttons))]
    return [Reply(ctx.t("faq_unknown"),
                  rows(FaqButton(record.id, "c").button(ctx.t("btn_faq_ask_coach")),
                       HOME.button(ctx.t("btn_menu")), width=2))]


async def ask_command(msg: Inbound, ctx: Context) -> list[Reply]:
    """/tanya and /ask: the question after the command goes to the FAQ engine."""
    if not msg.args.strip():
        return [Reply(ctx.t("faq_ask_prompt"))]
    return await ask(msg.args, ctx)


async def fallback(msg: Inbound, ctx: Context) -> list[Reply]:
    """Free text nobody is waiting for: a question for the FAQ engine."""
    if msg.is_group:  # the coaches' chat: stay quiet unless spoken to with a command
        return []
    if not ctx.partner.onboarded:
        return [Reply(ctx.t("not_understood")), *await where(ctx)]
    return await ask(msg.text, ctx)


async def _own_question(data: FaqButton, ctx: Context) -> QuestionRecord | None:
    record = await ctx.repo(FaqLogRepo).get(data.question)
    if record is None or record.partner_id != ctx.partner.id:
        return None
    return record


async def on_button(data: FaqButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Handles "yes, it helped", "no, ask a coach", a pick from the top 3, or "ask a coach"."""
    record = await _own_question(data, ctx)
    action = data.action or ""
    if record is None:
        return await stale(msg, ctx)
    repo = ctx.repo(FaqLogRepo)
    idx = await index(ctx)
    if action.startswith("p") and action[1:].isdigit():
        i = int(action[1:])
        if i >= len(record.offered) or record.offered[i] not in idx.by_id:
            return await stale(msg, ctx)
        entry_id = record.offered[i]
        await repo.choose(record.id, entry_id)
        return [await _answer_reply(ctx, idx, entry_id, record.id)]
    if action == "y":
        if not await repo.feedback(record.id, True, ctx.now()):
            return [Reply(ctx.t("faq_feedback_noted")), *await where(ctx)]
        return [Reply(ctx.t("faq_glad")), *await where(ctx)]
    if action in ("n", "c"):
        if action == "n" and not await repo.feedback(record.id, False, ctx.now()):
            current = await tickets.current_ticket(ctx)
            if current is not None:
                return [Reply(ctx.t("faq_feedback_noted"))]
        return await tickets.open_ticket(ctx, record.text, question_id=record.id)
    return await stale(msg, ctx)
