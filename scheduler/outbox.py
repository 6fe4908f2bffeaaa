"""The outbox API: the one way anything the bot sends on its own becomes a row.

Use it inside the transaction of the state change that causes the message (a handler's
unit of work, or a scheduler job's), through the unit's repositories; nothing here commits.

    outbox = ctx.repos.get(Outbox)
    await outbox.add(channel="telegram", chat_id="123", kind="reminder",
                     reply=Reply("Webinar in 1 hour!"), due_at=start - hour,
                     dedupe_key=f"wr:{wid}:{pid}:0:1h", now=now, partner_id=pid)
    await outbox.cancel_prefix(f"wr:{wid}:")            # the webinar is cancelled

Every row has a unique dedupe key that names the reason it exists, so a second write of the
same reason is a no-op. Kinds in `OPT_OUT_KINDS` are not sent to partners who opted out with
/stop (the dispatcher cancels them); other kinds (a coach's answer) are still delivered.
The dispatcher (scheduler/dispatcher.py) sends due rows and stores the platform's message id
in `message_ref`, which ties a coach's reply back to the row it answers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply, reply_to_dict
from bot.storage.models import OutboxMessage, OutboxStatus, Partner
from bot.storage.repos import insert_once, table_of

NUDGE = "nudge"
# what a partner's /stop turns off
OPT_OUT_KINDS = frozenset({NUDGE, "broadcast", "reminder", "announcement"})
OPEN = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
# how a pending row's last_error starts while it waits for its recipient (a WhatsApp partner
# outside the 24-hour window with no template for it): counted apart from "pending"
WAITING = "waiting"
# rows per multi-row INSERT on SQLite: well inside its bound-parameter limit
CHUNK = 1000
_TABLE = table_of(OutboxMessage)


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


@dataclass(frozen=True, slots=True)
class Item:
    """One row to add with `Outbox.add_many`."""

    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    dedupe_key: str
    partner_id: int | None = None
    # a nudge's verdict (see OutboxMessage.seen_active, valid_until)
    seen_active: datetime | None = None
    valid_until: datetime | None = None


def payload_of(reply: Reply, **extra: Any) -> dict[str, Any]:
    """A reply as an outbox payload (JSON), with extra fields the sender reads back."""
    data: dict[str, Any] = dict(reply_to_dict(reply))
    data.update(extra)
    return data


def _row(m: OutboxMessage) -> OutboxRow:
    return OutboxRow(m.id, m.partner_id, m.channel, m.chat_id, m.kind, dict(m.payload), m.due_at,
                     m.status, m.attempts, m.last_error, m.dedupe_key, m.sent_at, m.message_ref)


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern matching keys that start with `prefix`, read literally."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _is_blocked_error(error: str | None) -> bool:
    return bool(error) and "block" in str(error).lower()


# PostgreSQL: a whole batch in one statement, each column travelling as one array
_PG_INSERT = text(
    "INSERT INTO outbox (partner_id, channel, chat_id, kind, payload, due_at, status, attempts,"
    " dedupe_key, created_at, seen_active, valid_until)"
    " SELECT t.partner_id, t.channel, t.chat_id, t.kind, CAST(t.payload AS JSON), t.due_at,"
    " :status, 0, t.dedupe_key, :created_at, t.seen_active, t.valid_until"
    " FROM unnest(CAST(:partner_id AS INTEGER[]), CAST(:channel AS VARCHAR[]),"
    " CAST(:chat_id AS VARCHAR[]), CAST(:kind AS VARCHAR[]), CAST(:payload AS TEXT[]),"
    " CAST(:due_at AS TIMESTAMPTZ[]), CAST(:dedupe_key AS VARCHAR[]),"
    " CAST(:seen_active AS TIMESTAMPTZ[]), CAST(:valid_until AS TIMESTAMPTZ[]))"
    " AS t(partner_id, channel, chat_id, kind, payload, due_at, dedupe_key, seen_active,"
    " valid_until)"
    " ON CONFLICT (dedupe_key) DO NOTHING")


class Outbox:
    """Writes and reads outbox rows in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    # ---- writing --------------------------------------------------------------------------

    async def add(self, *, channel: str, chat_id: str, kind: str, reply: Reply | None = None,
                  payload: dict[str, Any] | None = None, due_at: datetime, dedupe_key: str,
                  now: datetime, partner_id: int | None = None) -> bool:
        """Adds one message (a reply, or a ready payload); False when its key exists."""
        data = payload if payload is not None else payload_of(reply or Reply(""))
        return await insert_once(self.s, OutboxMessage, partner_id=partner_id, channel=channel,
                                 chat_id=chat_id, kind=kind, payload=data, due_at=due_at,
                                 status=OutboxStatus.PENDING.value, attempts=0,
                                 dedupe_key=dedupe_key, created_at=now)

    async def add_many(self, items: Sequence[Item], now: datetime) -> int:
        """Adds many rows (keys already present are skipped); returns how many were added."""
        if not items:
            return 0
        dialect = self.s.bind.dialect.name if self.s.bind else "sqlite"
        if dialect == "postgresql":
            result = await self.s.execute(_PG_INSERT, {
                "status": OutboxStatus.PENDING.value, "created_at": now,
                **{c: [getattr(i, c) for i in items]
                   for c in ("partner_id", "channel", "chat_id", "kind", "due_at",
                             "dedupe_key", "seen_active", "valid_until")},
                "payload": [json.dumps(i.payload) for i in items]})
            return max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
        added = 0
        for start in range(0, len(items), CHUNK):
            values = [{"partner_id": i.partner_id, "channel": i.channel, "chat_id": i.chat_id,
                       "kind": i.kind, "payload": i.payload, "due_at": i.due_at,
                       "status": OutboxStatus.PENDING.value, "attempts": 0,
                       "dedupe_key": i.dedupe_key, "created_at": now,
                       "seen_active": i.seen_active, "valid_until": i.valid_until}
                      for i in items[start:start + CHUNK]]
            result = await self.s.execute(
                sqlite.insert(_TABLE).values(values).on_conflict_do_nothing())
            added += max(int(result.rowcount or 0), 0)  # type: ignore[attr-defined]
        return added

    async def add_or_revive(self, *, channel: str, chat_id: str, kind: str,
                            reply: Reply, due_at: datetime, dedupe_key: str, now: datetime,
                            partner_id: int | None) -> bool:
        """Adds a row, or brings a cancelled row with that key back to pending (a partner who
        said no and then yes again); True when a row is now pending because of this call."""
        payload = payload_of(reply)
        if await self.add(channel=channel, chat_id=chat_id, kind=kind, payload=payload,
                          due_at=due_at, dedupe_key=dedupe_key, now=now, partner_id=partner_id):
            return True
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == dedupe_key,
                   OutboxMessage.status == OutboxStatus.CANCELLED.value)
            .values(status=OutboxStatus.PENDING.value, due_at=due_at, payload=payload,
                    chat_id=chat_id, last_error=None, seen_active=None))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def cancel_prefix(self, prefix: str, *, reason: str = "cancelled") -> int:
        """Cancels every pending row whose key starts with `prefix` (read literally); rows in
        flight finish. Returns how many."""
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(_like_prefix(prefix), escape="\\"),
                   OutboxMessage.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value, last_error=reason)
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_prefix(self, prefix: str) -> int:
        """Deletes every row whose key starts with `prefix`, whatever its status (what a
        partner's /deletedata erases from copies addressed to others)."""
        result = await self.s.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(_like_prefix(prefix), escape="\\"))
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def cancel_ids(self, ids: Sequence[int], *, reason: str) -> int:
        """Cancels the given rows that are still pending."""
        if not ids:
            return 0
        result = await self.s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)),
                   OutboxMessage.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value, last_error=reason)
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def cancel_for_partner(self, partner_id: int, *,
                                 kinds: Iterable[str] | None = OPT_OUT_KINDS,
                                 reason: str = "cancelled") -> int:
        """Cancels a partner's pending rows (of `kinds`, or all kinds when None)."""
        q = (update(OutboxMessage)
             .where(OutboxMessage.partner_id == partner_id,
                    OutboxMessage.status == OutboxStatus.PENDING.value))
        if kinds is not None:
            q = q.where(OutboxMessage.kind.in_(list(kinds)))
        result = await self.s.execute(
            q.values(status=OutboxStatus.CANCELLED.value, last_error=reason)
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ---- reading --------------------------------------------------------------------------

    async def pending_for_partner(self, partner_id: int) -> list[OutboxRow]:
        """The partner's rows still waiting or being sent, soonest first."""
        found = (await self.s.execute(
            select(OutboxMessage)
            .where(OutboxMessage.partner_id == partner_id, OutboxMessage.status.in_(OPEN))
            .order_by(OutboxMessage.due_at, OutboxMessage.id))).scalars()
        return [_row(m) for m in found]

    async def by_key(self, dedupe_key: str) -> OutboxRow | None:
        found = (await self.s.execute(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        ).scalar_one_or_none()
        return _row(found) if found else None

    async def exists(self, dedupe_key: str) -> bool:
        return (await self.s.execute(select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key == dedupe_key))).first() is not None

    async def by_message_ref(self, channel: str, message_ref: str,
                             chat_id: str | None = None) -> list[OutboxRow]:
        """The sent rows whose platform message id is `message_ref` (e.g. a coach replied to
        one), newest first."""
        q = select(OutboxMessage).where(OutboxMessage.message_ref == message_ref,
                                        OutboxMessage.channel == channel)
        if chat_id is not None:
            q = q.where(OutboxMessage.chat_id == chat_id)
        found = (await self.s.execute(q.order_by(OutboxMessage.id.desc()))).scalars()
        return [_row(m) for m in found]

    async def counts(self) -> dict[str, int]:
        """Rows per status, e.g. {'pending': 3, 'sent': 120}."""
        result = await self.s.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {status: int(n) for status, n in result.all()}

    async def count(self, status: OutboxStatus | None = None) -> int:
        q = select(func.count()).select_from(OutboxMessage)
        if status is not None:
            q = q.where(OutboxMessage.status == status.value)
        return int((await self.s.execute(q)).scalar_one())

    async def outcome_counts(self, prefix: str) -> Counter[str]:
        """Rows under a key prefix by outcome: sent, blocked, failed, pending, cancelled, and
        waiting (until the recipient writes again)."""
        return (await self.outcome_summary(prefix))[0]

    async def outcome_summary(self, prefix: str) -> tuple[Counter[str], datetime | None]:
        """`outcome_counts` and the latest `sent_at` under a key prefix.

        Sent rows (nearly all of a finished broadcast) are counted from the index on
        (dedupe_key, status) INCLUDE (sent_at) alone (an index-only scan on PostgreSQL); only
        the rows not sent are read with their error and their partner's `blocked`."""
        like = OutboxMessage.dedupe_key.like(_like_prefix(prefix), escape="\\")
        by_status = (await self.s.execute(
            select(OutboxMessage.status, func.count(), func.max(OutboxMessage.sent_at))
            .where(like).group_by(OutboxMessage.status))).all()
        counts: Counter[str] = Counter()
        last = max((t for _, _, t in by_status if t is not None), default=None)
        unsent = sorted(str(status) for status, _, _ in by_status
                        if status != OutboxStatus.SENT.value)
        for status, n, _ in by_status:
            if status == OutboxStatus.SENT.value:
                counts["sent"] += int(n)
        if not unsent:
            return counts, last
        rows = await self.s.execute(
            select(OutboxMessage.status, OutboxMessage.last_error, Partner.blocked,
                   func.count())
            .select_from(OutboxMessage)
            .outerjoin(Partner, Partner.id == OutboxMessage.partner_id)
            .where(like, OutboxMessage.status.in_(unsent))
            .group_by(OutboxMessage.status, OutboxMessage.last_error, Partner.blocked))
        for status, error, blocked, n in rows.all():
            if status in OPEN and str(error or "").startswith(WAITING):
                counts["waiting"] += n
            elif status in OPEN:
                counts["pending"] += n
            elif _is_blocked_error(error) or (blocked and status == OutboxStatus.FAILED.value):
                counts["blocked"] += n
            elif status == OutboxStatus.CANCELLED.value:
                counts["cancelled"] += n
            else:
                counts["failed"] += n
        return counts, last

    async def last_sent_at(self, prefix: str) -> datetime | None:
        return (await self.s.execute(
            select(func.max(OutboxMessage.sent_at))
            .where(OutboxMessage.dedupe_key.like(_like_prefix(prefix), escape="\\"))
        )).scalar_one_or_none()
