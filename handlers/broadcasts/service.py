"""Broadcasts: one outbox row per partner in a segment, sent by the dispatcher at the
platform's rate; cancellable while running; progress and a final report for the coach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import MAX_TEXT, Reply
from bot.storage.models import Partner
from content.loader import PackLibrary
from handlers.audience import segments
from handlers.audience.segments import Audience
from handlers.broadcasts.models import Broadcast, BroadcastStatus
from scheduler.outbox import Item, Outbox, payload_of

KIND = "broadcast"


class BroadcastError(ValueError):
    """A broadcast request that cannot be done; `key` is a UI message key in coach.yaml."""

    def __init__(self, key: str, **kw: object):
        super().__init__(key)
        self.key = key
        self.kw = kw


@dataclass(frozen=True)
class BroadcastInfo:
    id: int
    segment: str
    text: str
    send_at: datetime
    status: str
    total: int
    created_by: int | None


def _info(b: Broadcast) -> BroadcastInfo:
    return BroadcastInfo(b.id, b.segment, b.text, b.send_at, b.status, b.total, b.created_by)


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int
    cancelled: int
    elapsed_s: float
    # WhatsApp partners outside the 24-hour window with no template: sent when they write
    waiting: int = 0

    @property
    def finished(self) -> bool:
        return self.pending == 0

    @property
    def done(self) -> int:
        return self.total - self.pending

    def summary(self) -> str:
        """The summary line the CLI ends with and the coach gets in chat."""
        line = (f"sent={self.sent} blocked={self.blocked} failed={self.failed} "
                f"pending={self.pending} elapsed_s={self.elapsed_s:.0f}")
        line += f" cancelled={self.cancelled}" if self.cancelled else ""
        return line + (f" waiting={self.waiting}" if self.waiting else "")


def prefix(broadcast_id: int) -> str:
    return f"bc:{broadcast_id}:"


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise BroadcastError("broadcast_text_empty")
    if len(text) > MAX_TEXT:
        raise BroadcastError("broadcast_text_long", max=MAX_TEXT)
    return text


class Broadcasts:
    """Broadcasts in one unit of work: queue, follow, cancel, report."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def create(self, *, segment: str, text: str, send_at: datetime,
                     created_by: int | None, now: datetime,
                     catalog: segments.Catalog | None = None) -> BroadcastInfo:
        """Queues one message per partner in the segment, due at `send_at` (now or later)."""
        text = check_text(text)
        seg = segments.parse(segment)
        audience = Audience(self.s)
        await audience.check(seg, catalog)
        recipients = await audience.resolve(seg, catalog)
        if not recipients:
            raise BroadcastError("broadcast_nobody")
        send_at = max(send_at, now)
        row = Broadcast(segment=seg.spec, text=text, send_at=send_at,
                        status=BroadcastStatus.SCHEDULED.value, total=len(recipients),
                        created_by=created_by, created_at=now)
        self.s.add(row)
        await self.s.flush()
        payload = payload_of(Reply(text))
        await Outbox(self.s).add_many([
            Item(r.channel, r.chat_id, KIND, payload, send_at, f"{prefix(row.id)}{r.partner_id}",
                 r.partner_id) for r in recipients], now)
        return _info(row)

    async def get(self, broadcast_id: int) -> BroadcastInfo | None:
        b = await self.s.get(Broadcast, broadcast_id)
        return _info(b) if b else None

    async def recent(self, limit: int = 5) -> list[BroadcastInfo]:
        rows = (await self.s.execute(
            select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).scalars()
        return [_info(b) for b in rows]

    async def cancel(self, broadcast_id: int, now: datetime) -> int:
        """Stops a broadcast: every row not yet sent is cancelled; returns how many."""
        b = await self.s.get(Broadcast, broadcast_id)
        if b is None:
            raise BroadcastError("broadcast_unknown")
        if b.status == BroadcastStatus.CANCELLED.value:
            raise BroadcastError("broadcast_already_cancelled", id=broadcast_id)
        n = await Outbox(self.s).cancel_prefix(prefix(broadcast_id))
        if n == 0 and b.status == BroadcastStatus.DONE.value:
            raise BroadcastError("broadcast_already_done", id=broadcast_id)
        b.status = BroadcastStatus.CANCELLED.value
        b.cancelled_at = now
        return n

    async def progress(self, broadcast_id: int, now: datetime) -> Progress:
        b = await self.s.get(Broadcast, broadcast_id)
        if b is None:
            raise BroadcastError("broadcast_unknown")
        c, last_sent = await Outbox(self.s).outcome_summary(prefix(broadcast_id))
        end = now if c["pending"] else (last_sent or now)
        elapsed = max((end - b.send_at).total_seconds(), 0.0) if now >= b.send_at else 0.0
        return Progress(total=sum(c.values()), sent=c["sent"], blocked=c["blocked"],
                        failed=c["failed"], pending=c["pending"], cancelled=c["cancelled"],
                        elapsed_s=elapsed, waiting=c["waiting"])

    async def report_finished(self, library: PackLibrary,
                              now: datetime) -> list[int]:
        """Sends each finished broadcast's report to its coach once (an outbox row); returns ids.

        Safe to call from any periodic job or command: the report's dedupe key and
        `reported_at` make it happen once."""
        rows = list((await self.s.execute(
            select(Broadcast).where(Broadcast.reported_at.is_(None), Broadcast.send_at <= now)
        )).scalars())
        done: list[int] = []
        for b in rows:
            pr = await self.progress(b.id, now)
            if not pr.finished:
                continue
            if b.status == BroadcastStatus.SCHEDULED.value:
                b.status = BroadcastStatus.DONE.value
            b.reported_at = now
            done.append(b.id)
            coach = await self.s.get(Partner, b.created_by) if b.created_by else None
            if coach is None:
                continue
            text = library.t(coach.pack_id, coach.language, "broadcast_report", id=b.id,
                             summary=pr.summary())
            await Outbox(self.s).add_or_revive(
                channel=coach.channel, chat_id=coach.chat_id, kind="report",
                reply=Reply(text), due_at=now, now=now, partner_id=coach.id,
                dedupe_key=f"bcr:{b.id}")
        return done
