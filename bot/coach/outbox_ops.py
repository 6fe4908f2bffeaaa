"""Outbox operations the coach features need beyond a single enqueue: many rows at once,
cancelling or reviving rows by dedupe-key prefix, and counting outcomes.

Dedupe keys used here (prefixes never contain `_` or `%`, so LIKE matches them literally):

    wa:{webinar}:{partner}                  webinar announcement
    wr:{webinar}:{partner}:{rev}:{24h|1h|fu} reminders and follow-up for an attendee
    wm:{webinar}:{rev}:{partner}            "the webinar moved" notice
    wx:{webinar}:{partner}                  "the webinar is cancelled" notice
    bc:{broadcast}:{partner}                one broadcast message
    bcr:{broadcast}                         the broadcast report to its coach
    cn:{partner}:{yyyymmdd}                 a coach's nudge from the cohort report
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import OutboxMessage, OutboxStatus, Partner
from bot.storage.repos import insert_once

# rows per INSERT: well inside SQLite's and asyncpg's bound-parameter limits
CHUNK = 1000


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]],
                       now: datetime) -> int:
    """Inserts many outbox rows (keys already present are skipped); returns rows added."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    ins_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for i in range(0, len(rows), CHUNK):
        values = [{"partner_id": r.get("partner_id"), "channel": r["channel"],
                   "chat_id": r["chat_id"], "kind": r["kind"], "payload": r["payload"],
                   "due_at": r["due_at"], "status": OutboxStatus.PENDING.value, "attempts": 0,
                   "dedupe_key": r["dedupe_key"], "created_at": now}
                  for r in rows[i:i + CHUNK]]
        result = await session.execute(
            ins_fn(OutboxMessage).values(values).on_conflict_do_nothing())
        added += max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
    return added


async def enqueue_or_revive(session: AsyncSession, *, channel: str, chat_id: str, kind: str,
                            payload: dict[str, Any], due_at: datetime, dedupe_key: str,
                            now: datetime, partner_id: int | None) -> bool:
    """Adds a row, or brings a cancelled row with that key back to pending (a partner who
    said no and then yes again); True when a row is now pending because of this call."""
    if await insert_once(session, OutboxMessage, partner_id=partner_id, channel=channel,
                         chat_id=chat_id, kind=kind, payload=payload, due_at=due_at,
                         status=OutboxStatus.PENDING.value, attempts=0, dedupe_key=dedupe_key,
                         created_at=now):
        return True
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key == dedupe_key,
               OutboxMessage.status == OutboxStatus.CANCELLED.value)
        .values(status=OutboxStatus.PENDING.value, due_at=due_at, payload=payload,
                chat_id=chat_id, last_error=None))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel_prefix(session: AsyncSession, prefix: str) -> int:
    """Cancels every pending row whose key starts with `prefix`; rows in flight finish."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key.like(prefix + "%"),
               OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def exists(session: AsyncSession, dedupe_key: str) -> bool:
    return (await session.execute(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == dedupe_key))).first() is not None


def _is_blocked_error(error: str | None) -> bool:
    return bool(error) and "block" in str(error).lower()


async def outcome_counts(session: AsyncSession, prefix: str) -> Counter[str]:
    """Rows under a key prefix by outcome: sent, blocked, failed, pending, cancelled."""
    rows = await session.execute(
        select(OutboxMessage.status, OutboxMessage.last_error, Partner.blocked, func.count())
        .select_from(OutboxMessage)
        .outerjoin(Partner, Partner.id == OutboxMessage.partner_id)
        .where(OutboxMessage.dedupe_key.like(prefix + "%"))
        .group_by(OutboxMessage.status, OutboxMessage.last_error, Partner.blocked))
    counts: Counter[str] = Counter()
    for status, error, blocked, n in rows.all():
        if status == OutboxStatus.SENT.value:
            counts["sent"] += n
        elif status in (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value):
            counts["pending"] += n
        elif _is_blocked_error(error) or (blocked and status == OutboxStatus.FAILED.value):
            counts["blocked"] += n
        elif status == OutboxStatus.CANCELLED.value:
            counts["cancelled"] += n
        else:
            counts["failed"] += n
    return counts


async def last_sent_at(session: AsyncSession, prefix: str) -> datetime | None:
    return (await session.execute(
        select(func.max(OutboxMessage.sent_at))
        .where(OutboxMessage.dedupe_key.like(prefix + "%")))).scalar_one_or_none()
