"""The coaches' daily digest: who stalled, who went quiet, who failed a quiz, who is new.

Enqueued once per day (dedupe key `digest:<date>:<channel>:<chat>`) by the planner job once
the digest hour has passed in COACHBOT_DIGEST_TIMEZONE, so a restart after that hour still
sends it and a second process never sends it twice. It goes to COACHBOT_COACH_CHAT_ID on
COACHBOT_DIGEST_CHANNEL when set, else to every coach's and admin's own chat.

Other features add lines with `register_section(fn)`, where
`fn(session, now, lang) -> list[str]` (e.g. the coaches' feature: "new questions: 3").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import Reply
from bot.storage.faq_models import CoachTicket, FaqQuestion
from bot.storage.models import Partner, QuizAttempt
from content.loader import PackLibrary
from scheduler import outbox
from scheduler.rules import zone

Section = Callable[[AsyncSession, datetime, str], Awaitable[list[str]]]
SECTIONS: list[Section] = []
MAX_NAMES = 10


def register_section(section: Section) -> Section:
    """Adds lines to every digest (usable as a decorator)."""
    if section not in SECTIONS:
        SECTIONS.append(section)
    return section


async def _count(s: AsyncSession, *where: ColumnElement[bool]) -> int:
    q = select(func.count()).select_from(Partner).where(Partner.role == "partner", *where)
    return int((await s.execute(q)).scalar_one())


async def build(s: AsyncSession, library: PackLibrary, now: datetime, lang: str) -> str:
    def t(key: str, **kw: object) -> str:
        return library.text(None, key, lang).format(**kw)

    day, week = now - timedelta(hours=24), now - timedelta(days=7)
    stalled_where = (Partner.state == "module", Partner.last_active_at < day,
                     Partner.last_active_at >= week)
    stalled = await _count(s, *stalled_where)
    inactive = await _count(s, Partner.onboarded_at.is_not(None), Partner.last_active_at < week)
    new = await _count(s, Partner.created_at >= day)
    failed = int((await s.execute(
        select(func.count(func.distinct(QuizAttempt.partner_id)))
        .where(QuizAttempt.finished_at >= day, QuizAttempt.passed.is_(False)))).scalar_one())
    local = now.astimezone(zone(None)).date()
    lines = [t("digest_title", date=local.isoformat()), t("digest_stalled", n=stalled),
             t("digest_inactive", n=inactive), t("digest_quiz_failed", n=failed),
             t("digest_new_partners", n=new)]
    if stalled:
        names = (await s.execute(
            select(Partner.name, Partner.external_id)
            .where(Partner.role == "partner", *stalled_where)
            .order_by(Partner.last_active_at).limit(MAX_NAMES))).all()
        lines.append(t("digest_names", names=", ".join(n or f"#{e}" for n, e in names)))
    lines += await _questions(s, day, t)
    for section in SECTIONS:
        lines += await section(s, now, lang)
    return "\n".join(lines)


async def _questions(s: AsyncSession, since: datetime, t: Callable[..., str]) -> list[str]:
    """What partners asked in the last day, and what the FAQ could not settle."""
    asked = select(func.count()).select_from(FaqQuestion).where(FaqQuestion.created_at >= since)
    total = int((await s.execute(asked)).scalar_one())
    unanswered = int((await s.execute(asked.where(FaqQuestion.band == "none"))).scalar_one())
    unhelpful = int((await s.execute(asked.where(FaqQuestion.helped.is_(False)))).scalar_one())
    open_tickets = int((await s.execute(
        select(func.count()).select_from(CoachTicket)
        .where(CoachTicket.status == "open"))).scalar_one())
    lines = [t("digest_questions", n=total, unanswered=unanswered, unhelpful=unhelpful),
             t("digest_open_tickets", n=open_tickets)]
    if unanswered or unhelpful:
        recent = (await s.execute(
            select(FaqQuestion.text).where(
                FaqQuestion.created_at >= since,
                (FaqQuestion.band == "none") | FaqQuestion.helped.is_(False))
            .order_by(FaqQuestion.id.desc()).limit(3))).scalars().all()
        lines += [f"  “{q[:120]}”" for q in recent]
    return lines


async def enqueue_if_due(s: AsyncSession, library: PackLibrary, settings: Settings,
                         now: datetime) -> int:
    """Enqueues today's digest for every coach recipient once the digest hour has passed."""
    tz = zone(settings.digest_timezone)
    local = now.astimezone(tz)
    if local.time() < time(settings.digest_hour):
        return 0
    recipients: list[tuple[str, str, str]] = []
    if settings.coach_chat_id:
        recipients.append((settings.digest_channel, settings.coach_chat_id, "id"))
    else:
        rows = await s.execute(select(Partner.channel, Partner.chat_id, Partner.language)
                               .where(Partner.role.in_(("coach", "admin")),
                                      Partner.blocked.is_(False)))
        recipients += [(c, chat, lang) for c, chat, lang in rows.all()]
    added = 0
    texts: dict[str, str] = {}
    for channel, chat_id, lang in recipients:
        key = f"digest:{local.date().isoformat()}:{channel}:{chat_id}"
        if await outbox.by_key(s, key) is not None:
            continue
        if lang not in texts:
            texts[lang] = await build(s, library, now, lang)
        added += await outbox.enqueue_reply(s, channel=channel, chat_id=chat_id, kind="digest",
                                            reply=Reply(texts[lang]), due_at=now,
                                            dedupe_key=key, now=now)
    return added
