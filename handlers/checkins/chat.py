"""A partner's reply to a nudge that asked them something: kept as a reflection, thanked."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core import Inbound, InboundKind, Reply
from content.schema import NudgeKind
from handlers.checkins.repo import CheckinRepo, Question
from handlers.faq.engine import Chat, classify
from handlers.kit.context import Context

log = logging.getLogger(__name__)

# the nudges whose text asks the partner something about themselves ("what did you try
# this week?"); the others ask only to come back, which a button answers
ASKING = frozenset({NudgeKind.INACTIVE.value})
# how long after the nudge was sent a reply still answers it
ANSWER_WINDOW = timedelta(days=3)
# a greeting or thanks is not the answer yet: the question stays open for the next message
NOT_AN_ANSWER = frozenset({Chat.THANKS, Chat.HELLO})


async def waiting(ctx: Context) -> Question | None:
    return await ctx.repo(CheckinRepo).waiting(ctx.partner.id, ASKING,
                                               ctx.now() - ANSWER_WINDOW)


async def intercept(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Free text right after a check-in nudge answers its question, not the FAQ."""
    if (msg.kind is not InboundKind.TEXT or msg.is_group or ctx.in_coach_chat
            or not ctx.partner.onboarded or not msg.text.strip()):
        return None
    question = await waiting(ctx)
    if question is None or classify(msg.text) in NOT_AN_ANSWER:
        return None
    await ctx.repo(CheckinRepo).answer(ctx.partner.id, question, msg.text.strip(), ctx.now())
    log.info("check-in answered (%s)", question.kind, extra={"partner_id": ctx.partner.id})
    name = ctx.partner.name or ctx.t("nudge_friend")
    return [Reply(ctx.t("checkin_thanks", name=name))]


async def moved_on(ctx: Context) -> None:
    """The partner went back to their modules instead of answering: the question is closed,
    so what they type next is theirs again (a module's answer, a question for the FAQ)."""
    question = await waiting(ctx)
    if question is not None:
        await ctx.repo(CheckinRepo).answer(ctx.partner.id, question, None, ctx.now())
