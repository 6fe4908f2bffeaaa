"""The coaches' daily digest: every feature's lines (who stalled, who is new, what partners
asked, which tickets wait), once a day.

Enqueued once per day (dedupe key `digest:<date>:<channel>:<chat>`) by a periodic job once
the digest hour has passed in COACHBOT_DIGEST_TIMEZONE, so a restart after that hour still
sends it and a second process never sends it twice. It goes to COACHBOT_COACH_CHAT_ID on
COACHBOT_DIGEST_CHANNEL when set, else to every coach's and admin's own chat.
"""

from __future__ import annotations

from datetime import time

from bot.core import Reply
from bot.core.timezones import zone
from scheduler.scope import Scope


async def build(scope: Scope, lang: str) -> str:
    local = scope.now.astimezone(zone(None)).date()
    lines = [scope.t(None, lang, "digest_title", date=local.isoformat())]
    for feature in scope.features:
        lines += await feature.digest(scope, lang)
    return "\n".join(lines)


async def enqueue_if_due(scope: Scope) -> int:
    """Enqueues today's digest for every coach recipient once the digest hour has passed."""
    settings, now = scope.settings, scope.now
    local = now.astimezone(zone(settings.digest_timezone))
    if local.time() < time(settings.digest_hour):
        return 0
    recipients: list[tuple[str, str, str]] = []
    if settings.coach_chat_id:
        recipients.append((settings.digest_channel, settings.coach_chat_id, "id"))
    else:
        recipients += await scope.repos.partners.coach_chats()
    added = 0
    texts: dict[str, str] = {}
    outbox = scope.outbox
    for channel, chat_id, lang in recipients:
        key = f"digest:{local.date().isoformat()}:{channel}:{chat_id}"
        if await outbox.exists(key):
            continue
        if lang not in texts:
            texts[lang] = await build(scope, lang)
        added += await outbox.add(channel=channel, chat_id=chat_id, kind="digest",
                                  reply=Reply(texts[lang]), due_at=now, dedupe_key=key,
                                  now=now)
    return added

