"""Outbox helpers for every feature that sends on its own initiative.

Use these inside the transaction of the state change that causes the message (a handler's
`ctx.repos.session`, or a scheduler job's session); nothing here commits.

    from scheduler import outbox
    await outbox.enqueue_reply(session, channel="telegram", chat_id="123", kind="reminder",
                               reply=Reply("Webinar in 1 hour!"), due_at=start - hour,
                               dedupe_key=f"webinar:{wid}:remind:{pid}", now=now,
                               partner_id=pid)
    await outbox.cancel_prefix(session, f"webinar:{wid}:", now=now)   # webinar cancelled

Kinds in `OPT_OUT_KINDS` are not sent to partners who opted out with /stop (the dispatcher
cancels them); other kinds (a coach's answer to a partner's question) are still delivered.
The dispatcher (scheduler/dispatcher.py) sends due rows and stores the platform's message id
in `message_ref`; `find_by_message_ref` ties a coach's reply back to the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply, reply_to_dict
from bot.storage.models import OutboxMessage, OutboxStatus
from bot.storage.repos import insert_once

NUDGE = "nudge"
# what a partner's /stop turns off
OPT_OUT_KINDS = frozenset({NUDGE, "broadcast", "reminder", "announcement"})
OPEN = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A plain copy of an outbox row."""

    id: int
    partner_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    status: str
    attempts: int
    last_error: str | None
    dedupe_key: str
    sent_at: datetime | None
    message_ref: str | None


def _row(m: OutboxMessage) -> OutboxRow:
    return OutboxRow(m.id, m.partner_id, m.channel, m.chat_id, m.kind, dict(m.payload), m.due_at,
                     m.status, m.attempts, m.last_error, m.dedupe_key, m.sent_at, m.message_ref)


async def enqueue_reply(session: AsyncSession, *, channel: str, chat_id: str, kind: str,
                        reply: Reply, due_at: datetime, dedupe_key: str, now: datetime,
                        partner_id: int | None = None,
                        extra: dict[str, Any] | None = None) -> bool:
    """Adds one message; False when a row with this dedupe key already exists."""
    payload: dict[str, Any] = dict(reply_to_dict(reply))
    payload.update(extra or {})
    return await insert_once(session, OutboxMessage, partner_id=partner_id, channel=channel,
                             chat_id=chat_id, kind=kind, payload=payload, due_at=due_at,
                             status=OutboxStatus.PENDING.value, attempts=0,
                             dedupe_key=dedupe_key, created_at=now)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def cancel_prefix(session: AsyncSession, prefix: str, *, now: datetime,
                        reason: str = "cancelled") -> int:
    """Cancels every pending row whose dedupe key starts with `prefix`; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedupe_key.like(_escape_like(prefix) + "%", escape="\\"),
               OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, last_error=reason)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def cancel_for_partner(session: AsyncSession, partner_id: int, *,
                             kinds: Iterable[str] | None = OPT_OUT_KINDS,
                             reason: str = "cancelled") -> int:
    """Cancels a partner's pending rows (of `kinds`, or all kinds when None)."""
    q = (update(OutboxMessage)
         .where(OutboxMessage.partner_id == partner_id,
                OutboxMessage.status == OutboxStatus.PENDING.value))
    if kinds is not None:
        q = q.where(OutboxMessage.kind.in_(list(kinds)))
    result = await session.execute(
        q.values(status=OutboxStatus.CANCELLED.value, last_error=reason)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def pending_for_partner(session: AsyncSession, partner_id: int) -> list[OutboxRow]:
    """The partner's rows still waiting or being sent, soonest first."""
    found = (await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.partner_id == partner_id, OutboxMessage.status.in_(OPEN))
        .order_by(OutboxMessage.due_at, OutboxMessage.id))).scalars()
    return [_row(m) for m in found]


async def find_by_message_ref(session: AsyncSession, channel: str,
                              message_ref: str) -> OutboxRow | None:
    """The sent row whose platform message id is `message_ref` (e.g. a coach replied to it)."""
    found = (await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.message_ref == message_ref, OutboxMessage.channel == channel)
        .order_by(OutboxMessage.id.desc()).limit(1))).scalar_one_or_none()
    return _row(found) if found else None


async def by_key(session: AsyncSession, dedupe_key: str) -> OutboxRow | None:
    found = (await session.execute(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    ).scalar_one_or_none()
    return _row(found) if found else None


async def counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status, e.g. {'pending': 3, 'sent': 120}."""
    result = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    return {status: int(n) for status, n in result.all()}
