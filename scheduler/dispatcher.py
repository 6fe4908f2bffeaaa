"""The outbox dispatcher: claims due rows, sends them through the channels, records the result.

    dispatcher = Dispatcher(db, {"telegram": tg}, clock, rate=30, chat_interval=1.0)
    await dispatcher.tick()             # one claim-send-record round (what APScheduler runs)
    await dispatcher.run_until_idle()   # ticks until nothing due is left (tests, CLI, benches)

A tick, in three short transactions:

1. *Recover*: rows left in 'sending' longer than `lease` seconds belong to a worker that died
   mid-send; they go back to 'pending' (or 'failed' once out of attempts). This is why a
   `kill -9` loses nothing; only those in-flight rows can be sent twice. Replies left in
   flight by a process not seen for the lease become outbox rows (scheduler/replies.py).
2. *Claim*: due 'pending' rows, oldest first, are locked with SELECT … FOR UPDATE SKIP LOCKED
   on PostgreSQL, so several workers never take the same row, and become 'sending'
   (attempts + 1) by an UPDATE … WHERE status = 'pending' RETURNING in the same transaction;
   on SQLite that guarded UPDATE alone decides, as SQLite has one writer at a time. In the same
   transaction, rows whose partner blocked the bot or opted out (for `OPT_OUT_KINDS`) and rows
   the validators reject (a nudge whose reason is gone) are cancelled, and rows for a chat that
   already had its message this interval are handed back untouched.
3. *Send* outside any transaction, under the send rate (COACHBOT_SEND_RATE: on PostgreSQL one
   rate for all dispatcher processes, time slots claimed through the database, see
   scheduler/rate.py; on SQLite this process's aiolimiter bucket; Telegram's paid broadcast
   rows at a rate of their own, `own_rates`) and one message per chat
   per `chat_interval`, then *record*: sent (+ the platform's message id in
   `message_ref`); `retry_after` → pending again after the given delay, this chat's later rows
   shifted behind it so nothing is lost or reordered, not counted as an attempt; failed →
   exponential backoff until `max_attempts`, then 'failed'; blocked → the partner is marked
   blocked and their other pending rows are cancelled.

A console process passes `only_chats={"console": user}` so it only claims its own user's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol, cast, runtime_checkable

from aiolimiter import AsyncLimiter
from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import (
    Clock,
    OutboundChannel,
    Reply,
    SendResult,
    SendStatus,
    SystemClock,
    reply_from_dict,
)
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, OutboxStatus, Partner
from scheduler.outbox import OPT_OUT_KINDS
from scheduler.rate import SharedRate, own_rates
from scheduler.replies import rescue

log = logging.getLogger(__name__)

TABLE = cast(Table, OutboxMessage.__table__)
OB = TABLE.c
PENDING, SENDING = OutboxStatus.PENDING.value, OutboxStatus.SENDING.value
SENT, FAILED, CANCELLED = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value,
                           OutboxStatus.CANCELLED.value)
MAX_ERROR = 500
# a row its channel cannot send yet (SendStatus.WAIT) is looked at again after this, unless
# the channel makes it due sooner (a WhatsApp partner writing again)
WAIT_HOLD = timedelta(days=1)


@runtime_checkable
class SendsKinds(Protocol):
    """A channel whose sending depends on what kind of message a row is (WhatsApp's
    templates outside the 24-hour window)."""

    async def send_kind(self, chat_id: str, reply: Reply, kind: str | None) -> SendResult: ...


@runtime_checkable
class ConfirmsSends(Protocol):
    """A channel whose platform has no idempotency key but reports every accepted message
    with the row id the send carried (WhatsApp's `biz_opaque_callback_data` in its `sent`
    status). A row left in 'sending' by a dead worker is not resent until `confirm_grace`
    seconds past the lease: the report settles it meanwhile, only rows with none are resent."""

    confirm_grace: float

    async def send_row(self, chat_id: str, reply: Reply, kind: str | None,
                       row_id: int) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker is sending."""

    id: int
    partner_id: int | None
    channel: str
    chat_id: str
    kind: str
    payload: dict[str, Any]
    dedupe_key: str
    attempts: int
    due_at: datetime


# (session, claimed rows, now) -> {row id: why it must not be sent}
Validator = Callable[[AsyncSession, Sequence[Claimed], datetime], Awaitable[dict[int, str]]]


@dataclass
class TickStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    released: int = 0
    recovered: int = 0
    waiting: int = 0  # rows their channel could not send yet (SendStatus.WAIT)

    def __iadd__(self, other: TickStats) -> TickStats:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def progressed(self) -> int:
        return self.sent + self.retried + self.failed + self.blocked + self.cancelled


def smooth_limiter(rate: float | None, burst: int = 8) -> AsyncLimiter | None:
    """The configured rate with a shallow bucket: at most `burst` sends at once.

    A bucket as deep as the platform's (30 at once, then 30/s) keeps the platform's bucket
    empty, so the slightest network jitter bunches two sends into one slot and earns a 429
    (measured against the fake Bot API: up to 22 429s after the first second of a 3,000
    broadcast). A bucket of 8 (~0.27 s of sending) bridges the pause between dispatcher ticks
    and leaves most of the platform's burst allowance to absorb jitter.
    """
    if not rate or rate <= 0:
        return None
    burst = max(1, min(burst, int(rate)))
    return AsyncLimiter(burst, burst / rate)


@dataclass(frozen=True, slots=True)
class _Pace:
    """A rate of its own: shared through PostgreSQL, or this process's bucket."""

    shared: SharedRate | None
    limiter: AsyncLimiter | None
    budget: int  # rows a tick may claim at this rate


class Dispatcher:
    def __init__(self, db: Database, channels: Mapping[str, OutboundChannel],
                 clock: Clock | None = None, *, rate: float | None = 30.0,
                 chat_interval: float = 1.0, batch_size: int = 200, max_attempts: int = 5,
                 backoff: float = 30.0, max_backoff: float = 6 * 3600.0, lease: float = 120.0,
                 only_chats: Mapping[str, str] | None = None,
                 validators: Sequence[Validator] = (), concurrency: int = 64,
                 shared_rate: bool | None = None,
                 own_rates: Mapping[tuple[str, str], float] | None = None):
        self.db = db
        self.channels = dict(channels)
        self.clock = clock or SystemClock()
        # PostgreSQL (several processes may dispatch): one rate for all of them, claimed in
        # time slots through the database (scheduler/rate.py); SQLite: this process's bucket
        if shared_rate is None:
            shared_rate = db.is_postgres
        self.shared_rate = (SharedRate(db, rate) if shared_rate and rate and rate > 0
                            else None)
        self.limiter = None if self.shared_rate is not None else smooth_limiter(rate)
        self.chat_interval = timedelta(seconds=max(chat_interval, 0))
        # never claim more than can be sent well within the lease, or another worker would
        # take rows this one is still sending
        window = min(2.0, lease / 3)
        self._budget = max(1, int(rate * window)) if rate and rate > 0 else batch_size
        # (channel, kind) rows with a rate of their own (Telegram's paid broadcasts,
        # scheduler/rate.py): paced apart, so replies and nudges keep the normal rate
        self._own: dict[tuple[str, str], _Pace] = {
            key: _Pace(SharedRate(db, r, name=f"outbox:{key[0]}:{key[1]}") if shared_rate
                       else None, None if shared_rate else smooth_limiter(r),
                       max(1, int(r * window)))
            for key, r in (own_rates or {}).items() if r > 0}
        if self._own:  # a tick claims up to a window's worth of each rate
            budgets = [self._budget, *(p.budget for p in self._own.values())]
            batch_size = min(max(batch_size, *budgets), sum(budgets))
        else:
            batch_size = min(batch_size, self._budget)
        self.batch_size = batch_size
        self.max_attempts = max(max_attempts, 1)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.lease = timedelta(seconds=lease)
        self.only_chats = dict(only_chats or {})
        self.validators = list(validators)
        self._sem = asyncio.Semaphore(concurrency)
        self._next_slot: dict[tuple[str, str], datetime] = {}
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, db: Database, channels: Mapping[str, OutboundChannel],
                      settings: Settings, clock: Clock | None = None,
                      **kw: Any) -> Dispatcher:
        kw.setdefault("rate", settings.send_rate)
        kw.setdefault("chat_interval", settings.send_chat_interval)
        kw.setdefault("max_attempts", settings.send_max_attempts)
        kw.setdefault("backoff", settings.send_backoff)
        kw.setdefault("lease", settings.outbox_lease)
        kw.setdefault("own_rates", own_rates(settings))
        return cls(db, channels, clock, **kw)

    # ---- which rows are ours --------------------------------------------------------------

    def _ours(self) -> ColumnElement[bool]:
        conds = []
        for name in self.channels:
            if name in self.only_chats:
                conds.append(and_(OB.channel == name, OB.chat_id == self.only_chats[name]))
            else:
                conds.append(OB.channel == name)
        return or_(*conds)

    # ---- a tick ---------------------------------------------------------------------------

    async def tick(self) -> TickStats:
        """Recovers abandoned rows, claims due rows, sends them and records every outcome."""
        if not self.channels:
            return TickStats()
        async with self._lock:  # one tick at a time per dispatcher
            stats = TickStats()
            now = self.clock.now()
            stats.recovered = await self._recover(now)
            rows = await self._claim(now, stats)
            if not rows:
                return stats
            marks = _SentMarks(self.db, self.clock)
            try:
                results = await self._send_all(rows, marks)
            finally:
                await marks.close()
            await self._record(results, self.clock.now(), stats, marks.written)
            return stats

    async def run_until_idle(self, max_ticks: int = 100_000) -> TickStats:
        """Ticks until a tick makes no progress (nothing due, or only rows waiting on pacing)."""
        total = TickStats()
        for _ in range(max_ticks):
            stats = await self.tick()
            total += stats
            if stats.progressed == 0 and stats.recovered == 0:
                break
        return total

    def _stale(self, now: datetime) -> ColumnElement[bool]:
        """Rows 'sending' past the lease (plus the channel's confirmation grace)."""
        conds = []
        for name, channel in self.channels.items():
            grace = channel.confirm_grace if isinstance(channel, ConfirmsSends) else 0.0
            cond = and_(OB.channel == name,
                        OB.claimed_at < now - self.lease - timedelta(seconds=max(grace, 0.0)))
            if name in self.only_chats:
                cond = and_(cond, OB.chat_id == self.only_chats[name])
            conds.append(cond)
        return or_(*conds)

    async def pump(self, stop: asyncio.Event, *, idle: float = 0.05,
                   until_idle: bool = False) -> TickStats:
        """Sends due rows until `stop` (or, `until_idle`, until nothing is due) with no pause
        between batches (a broadcast).

        A tick stops sending for the claim and the record and for the last answers of its
        batch (0.87 of WhatsApp's 80/s measured). Here the next batch is claimed (and its send
        slots reserved) while the current one sends, starts as soon as every row of the
        current one has its send slot, and each batch's last answers and its record finish
        in the background. At most two batches are in flight; a chat with a row still in
        flight waits for the next round, so each chat keeps its order."""
        total = TickStats()
        in_flight: set[int] = set()
        busy: set[tuple[str, str]] = set()
        active: list[asyncio.Task[None]] = []
        async with self._lock:
            upcoming: asyncio.Task[tuple[list[Claimed], TickStats]] | None = None
            try:
                while not stop.is_set():
                    if upcoming is None:
                        upcoming = asyncio.create_task(self._claim_round(in_flight))
                    rows, stats = await upcoming
                    upcoming = None
                    total += stats
                    later = [r for r in rows if (r.channel, r.chat_id) in busy]
                    if later:
                        await self._hand_back(later)
                        rows = [r for r in rows if (r.channel, r.chat_id) not in busy]
                    if not rows:
                        active = [t for t in active if not t.done()]
                        if active:  # what was handed back is due once these are recorded
                            await asyncio.wait(active, return_when=asyncio.FIRST_COMPLETED)
                        elif until_idle:
                            break
                        else:
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(stop.wait(), idle)
                        continue
                    in_flight.update(r.id for r in rows)
                    busy.update((r.channel, r.chat_id) for r in rows)
                    upcoming = asyncio.create_task(self._claim_round(in_flight))
                    paced = asyncio.Event()
                    batch = asyncio.create_task(
                        self._batch(rows, paced, total, in_flight, busy))
                    active = [t for t in active if not t.done()] + [batch]
                    await asyncio.wait([batch, asyncio.create_task(paced.wait())],
                                       return_when=asyncio.FIRST_COMPLETED)
                    if len(active) >= 2:  # never more than two batches in flight
                        await asyncio.wait(active[:-1])
            finally:
                if upcoming is not None:
                    with contextlib.suppress(Exception):
                        await self._hand_back((await upcoming)[0])
                if active:
                    await asyncio.gather(*active, return_exceptions=True)
        return total

    async def _batch(self, rows: list[Claimed], paced: asyncio.Event, total: TickStats,
                     in_flight: set[int], busy: set[tuple[str, str]]) -> None:
        """Sends one batch of the pump and records it."""
        marks = _SentMarks(self.db, self.clock)
        results: list[tuple[Claimed, SendResult | None]] = []
        try:
            try:
                results = await self._send_all(rows, marks, paced)
            finally:
                await marks.close()
            stats = TickStats()
            try:
                await self._record(results, self.clock.now(), stats, marks.written)
            except Exception:  # the rows stay 'sending' and are recovered after the lease
                log.exception("recording %d outbox rows failed", len(results))
            total += stats
        finally:
            paced.set()
            in_flight.difference_update(r.id for r in rows)
            busy.difference_update((r.channel, r.chat_id) for r in rows)

    async def _claim_round(self, own: set[int]) -> tuple[list[Claimed], TickStats]:
        """Recovery and a claim, with the claimed batch's send slots reserved."""
        stats = TickStats()
        now = self.clock.now()
        stats.recovered = await self._recover(now, sorted(own))
        rows = await self._claim(now, stats)
        # after the slots of the batch still sending: the rate stays shared and smooth
        await self._reserve(rows, topping_up=False)
        return rows, stats

    async def _reserve(self, rows: Sequence[Claimed], *, topping_up: bool) -> None:
        """Each shared rate's slots for these rows in one round trip (topping up: only
        what is not held already)."""
        wanted: dict[SharedRate, int] = defaultdict(int)
        for r in rows:
            if (shared := self._pacer(r)[0]) is not None:
                wanted[shared] += 1
        for shared, n in wanted.items():
            await shared.reserve(n - shared.held if topping_up else n)

    async def _hand_back(self, rows: Sequence[Claimed]) -> None:
        """Claimed rows not sent: pending again, the claim not counted as an attempt."""
        if not rows:
            return
        async with self.db.transaction() as s:
            await s.execute(
                update(TABLE).where(OB.id.in_([r.id for r in rows]), OB.status == SENDING)
                .values(status=PENDING, claimed_at=None, attempts=OB.attempts - 1)
                .execution_options(synchronize_session=False))

    async def _recover(self, now: datetime, own: Sequence[int] = ()) -> int:
        stale = and_(OB.status == SENDING, self._stale(now))
        if own:  # rows this process claimed and is still sending (the pipelined loop)
            stale = and_(stale, OB.id.not_in(list(own)))
        async with self.db.transaction() as s:
            gave_up = await s.execute(
                update(TABLE).where(stale, OB.attempts >= self.max_attempts)
                .values(status=FAILED, last_error="gave up: worker stopped while sending")
                .execution_options(synchronize_session=False))
            back = await s.execute(
                update(TABLE).where(stale)
                .values(status=PENDING, claimed_at=None,
                        last_error="worker stopped while sending; retried")
                .execution_options(synchronize_session=False))
            # replies of a process that stopped (scheduler/replies.py): sent from here now
            moved = await rescue(s, now, self.lease,
                                 [c for c in self.channels if c not in self.only_chats])
        n = int(gave_up.rowcount or 0) + int(back.rowcount or 0)  # type: ignore[attr-defined]
        if n:
            log.warning("recovered %d outbox rows abandoned in 'sending'", n)
        return n + moved

    async def _claim(self, now: datetime, stats: TickStats) -> list[Claimed]:
        async with self.db.transaction() as s:
            due = (select(OB.id)
                   .where(OB.status == PENDING, OB.due_at <= now, self._ours())
                   .order_by(OB.due_at, OB.id).limit(self.batch_size))
            if self.db.is_postgres:
                due = due.with_for_update(skip_locked=True)
            # select, then update: as a subquery of the UPDATE, PostgreSQL may run the LIMIT …
            # SKIP LOCKED select once per row and claim more than a batch
            ids = list((await s.execute(due)).scalars())
            if not ids:
                return []
            result = await s.execute(
                update(TABLE).where(OB.id.in_(ids), OB.status == PENDING)
                .values(status=SENDING, claimed_at=now, attempts=OB.attempts + 1)
                .returning(OB.id, OB.partner_id, OB.channel, OB.chat_id, OB.kind, OB.payload,
                           OB.dedupe_key, OB.attempts, OB.due_at)
                .execution_options(synchronize_session=False))
            rows = sorted((Claimed(*r) for r in result.all()), key=lambda c: (c.due_at, c.id))
            stats.claimed = len(rows)
            if not rows:
                return []
            cancel = await self._checks(s, rows, now)
            if cancel:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"))
                    .values(status=CANCELLED, last_error=bindparam("why"))
                    .execution_options(synchronize_session=False),
                    [{"rid": rid, "why": why[:MAX_ERROR]} for rid, why in cancel.items()])
                stats.cancelled = len(cancel)
            keep, release = self._pace([r for r in rows if r.id not in cancel], now)
            if self._own:
                keep, over = self._within_budgets(keep)
                release += over
            if release:
                await s.execute(
                    update(TABLE).where(OB.id.in_([r.id for r in release]))
                    .values(status=PENDING, claimed_at=None, attempts=OB.attempts - 1)
                    .execution_options(synchronize_session=False))
                stats.released = len(release)
        return keep

    async def _checks(self, s: AsyncSession, rows: Sequence[Claimed],
                      now: datetime) -> dict[int, str]:
        out: dict[int, str] = {}
        ids = sorted({r.partner_id for r in rows if r.partner_id is not None})
        if ids:
            flags = {pid: (opted_out, blocked) for pid, opted_out, blocked in (await s.execute(
                select(Partner.id, Partner.opted_out, Partner.blocked)
                .where(Partner.id.in_(ids)))).all()}
            for r in rows:
                if r.partner_id is None:
                    continue
                opted_out, blocked = flags.get(r.partner_id, (False, False))
                if blocked:
                    out[r.id] = "partner blocked the bot"
                elif opted_out and r.kind in OPT_OUT_KINDS:
                    out[r.id] = "partner opted out"
        for check in self.validators:
            for rid, why in (await check(s, [r for r in rows if r.id not in out], now)).items():
                out.setdefault(rid, why)
        return out

    def _pace(self, rows: list[Claimed], now: datetime) -> tuple[list[Claimed], list[Claimed]]:
        """Keeps one row per chat whose interval has passed; hands the others back."""
        if not self.chat_interval:
            return rows, []
        keep, release = [], []
        seen: set[tuple[str, str]] = set()
        for r in rows:
            chat = (r.channel, r.chat_id)
            if chat in seen or self._next_slot.get(chat, now) > now:
                release.append(r)
                continue
            seen.add(chat)
            keep.append(r)
            self._next_slot[chat] = now + self.chat_interval
        if len(self._next_slot) > 50_000:
            self._next_slot = {k: v for k, v in self._next_slot.items() if v > now}
        return keep, release

    def _within_budgets(self, rows: list[Claimed]) -> tuple[list[Claimed], list[Claimed]]:
        """Keeps what each rate sends within the lease window; hands the rest back."""
        used: dict[tuple[str, str] | None, int] = defaultdict(int)
        keep: list[Claimed] = []
        over: list[Claimed] = []
        for r in rows:
            key = (r.channel, r.kind) if (r.channel, r.kind) in self._own else None
            budget = self._own[key].budget if key is not None else self._budget
            used[key] += 1
            (keep if used[key] <= budget else over).append(r)
        return keep, over

    def _pacer(self, r: Claimed) -> tuple[SharedRate | None, AsyncLimiter | None]:
        own = self._own.get((r.channel, r.kind))
        return (own.shared, own.limiter) if own is not None else (self.shared_rate,
                                                                  self.limiter)

    # ---- sending --------------------------------------------------------------------------

    async def _send_all(self, rows: list[Claimed],
                        marks: _SentMarks | None = None, paced: asyncio.Event | None = None,
                        ) -> list[tuple[Claimed, SendResult | None]]:
        """Sends the rows, each chat's in order; `paced` is set once every row has its send
        slot (or will not be tried), while the last answers may still be on their way."""
        by_chat: dict[tuple[str, str], list[Claimed]] = defaultdict(list)
        for r in rows:
            by_chat[(r.channel, r.chat_id)].append(r)
        done: list[tuple[Claimed, SendResult | None]] = []
        left = len(rows)

        def took(n: int = 1) -> None:
            nonlocal left
            left -= n
            if left <= 0 and paced is not None:
                paced.set()

        await self._reserve(rows, topping_up=True)

        async def one_chat(chat_rows: list[Claimed]) -> None:
            async with self._sem:
                for i, r in enumerate(chat_rows):
                    result = await self._send(r, took)
                    done.append((r, result))
                    if marks is not None and result.status is SendStatus.OK:
                        marks.add(r.id, result.message_ref)
                    if result.status in (SendStatus.RETRY_AFTER, SendStatus.BLOCKED):
                        # the rest of this chat waits behind it or is dropped (None: not tried)
                        done.extend((later, None) for later in chat_rows[i + 1:])
                        took(len(chat_rows) - i - 1)
                        return

        await asyncio.gather(*(one_chat(v) for v in by_chat.values()))
        return done

    async def _send(self, r: Claimed,
                    took: Callable[[], None] | None = None) -> SendResult:
        channel = self.channels[r.channel]
        try:
            reply = reply_from_dict(r.payload)
        except Exception as exc:  # a row that can never be sent
            if took is not None:
                took()
            return SendResult.failed(f"unreadable payload: {exc}")
        shared, limiter = self._pacer(r)
        if shared is not None:
            await shared.acquire()
        elif limiter is not None:
            await limiter.acquire()
        if took is not None:
            took()
        try:
            if isinstance(channel, ConfirmsSends):
                return await channel.send_row(r.chat_id, reply, r.kind, r.id)
            if isinstance(channel, SendsKinds):
                return await channel.send_kind(r.chat_id, reply, r.kind)
            return await channel.send(r.chat_id, reply)
        except Exception as exc:
            log.exception("channel %s failed to send outbox row %d", r.channel, r.id)
            return SendResult.failed(f"{type(exc).__name__}: {exc}")

    # ---- recording ------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff * 2 ** max(attempts - 1, 0), self.max_backoff))

    async def _record(self, results: list[tuple[Claimed, SendResult | None]], now: datetime,
                      stats: TickStats, written: frozenset[int] | set[int] = frozenset(),
                      ) -> None:
        sent: list[dict[str, Any]] = []
        retry: list[dict[str, Any]] = []
        give_up: list[dict[str, Any]] = []
        hold: list[dict[str, Any]] = []
        blocked: list[Claimed] = []
        waits: dict[tuple[str, str], tuple[datetime, list[int]]] = {}
        for r, res in results:
            if res is None:
                continue
            if res.status is SendStatus.OK:
                if r.id in written:  # marked sent while the batch was still going out
                    stats.sent += 1
                else:
                    sent.append({"rid": r.id, "ref": res.message_ref})
            elif res.status is SendStatus.RETRY_AFTER:
                until = now + timedelta(seconds=max(res.retry_after, 0.0))
                waits[(r.channel, r.chat_id)] = (until, [r.id])
            elif res.status is SendStatus.BLOCKED:
                blocked.append(r)
            elif res.status is SendStatus.WAIT:  # not a failed attempt: kept, looked at later
                hold.append({"rid": r.id, "due": now + WAIT_HOLD,
                             "why": res.reason[:MAX_ERROR] or "waiting"})
            elif r.attempts >= self.max_attempts:
                give_up.append({"rid": r.id, "why": f"gave up: {res.reason}"[:MAX_ERROR]})
            else:
                retry.append({"rid": r.id, "due": now + self._backoff(r.attempts),
                              "why": res.reason[:MAX_ERROR] or "failed"})
        gone = {(r.channel, r.chat_id) for r in blocked}
        untried: list[int] = []
        for r, res in results:  # rows behind a retry_after or a block in this tick
            if res is None and (r.channel, r.chat_id) in waits:
                waits[(r.channel, r.chat_id)][1].append(r.id)
            elif res is None and (r.channel, r.chat_id) in gone:
                untried.append(r.id)
        async with self.db.transaction() as s:
            if sent:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"))
                    .values(status=SENT, sent_at=now, message_ref=bindparam("ref"),
                            last_error=None)
                    .execution_options(synchronize_session=False), sent)
            # a row the platform reported sent meanwhile (ConfirmsSends) stays sent
            if retry:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"), OB.status == SENDING)
                    .values(status=PENDING, claimed_at=None, due_at=bindparam("due"),
                            last_error=bindparam("why"))
                    .execution_options(synchronize_session=False), retry)
            if hold:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"), OB.status == SENDING)
                    .values(status=PENDING, claimed_at=None, due_at=bindparam("due"),
                            last_error=bindparam("why"), attempts=OB.attempts - 1)
                    .execution_options(synchronize_session=False), hold)
            if give_up:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"), OB.status == SENDING)
                    .values(status=FAILED, last_error=bindparam("why"))
                    .execution_options(synchronize_session=False), give_up)
            for (channel, chat_id), (until, ids) in waits.items():
                await self._wait_chat(s, channel, chat_id, until, ids)
            for r in blocked:
                await self._blocked(s, r)
            if untried:
                await s.execute(
                    update(TABLE).where(OB.id.in_(untried))
                    .values(status=CANCELLED, last_error="recipient blocked the bot")
                    .execution_options(synchronize_session=False))
        stats.sent += len(sent)
        stats.retried += len(retry) + sum(len(ids) for _, ids in waits.values())
        stats.failed += len(give_up)
        stats.waiting += len(hold)
        stats.blocked += len(blocked)
        stats.cancelled += len(untried)

    async def _wait_chat(self, s: AsyncSession, channel: str, chat_id: str, until: datetime,
                         first: list[int]) -> None:
        """Puts the rows back after `until`, the chat's other due rows behind them, in order."""
        later = [rid for (rid,) in (await s.execute(
            select(OB.id).where(OB.channel == channel, OB.chat_id == chat_id,
                               OB.status == PENDING, OB.due_at <= until, OB.id.not_in(first))
            .order_by(OB.due_at, OB.id))).all()]
        await s.execute(
            update(TABLE).where(OB.id == bindparam("rid"))
            .values(status=PENDING, claimed_at=None, due_at=bindparam("due"))
            .execution_options(synchronize_session=False),
            # microsecond steps ending at `until` keep their order and make all due together
            [{"rid": rid, "due": until - timedelta(microseconds=len(first) + len(later) - 1 - i)}
             for i, rid in enumerate([*first, *later])])
        # a retry_after is the platform pacing us, not the message failing
        await s.execute(
            update(TABLE).where(OB.id.in_(first), OB.attempts > 0)
            .values(attempts=OB.attempts - 1,
                    last_error=f"retry_after until {until.isoformat(timespec='seconds')}")
            .execution_options(synchronize_session=False))
        self._next_slot[(channel, chat_id)] = until

    async def _blocked(self, s: AsyncSession, r: Claimed) -> None:
        await s.execute(update(TABLE).where(OB.id == r.id)
                        .values(status=FAILED, last_error="blocked by the recipient")
                        .execution_options(synchronize_session=False))
        who = (Partner.id == r.partner_id if r.partner_id is not None
               else and_(Partner.channel == r.channel, Partner.chat_id == r.chat_id))
        await s.execute(update(Partner).where(who).values(blocked=True)
                        .execution_options(synchronize_session=False))
        await s.execute(
            update(TABLE)
            .where(OB.channel == r.channel, OB.chat_id == r.chat_id, OB.status == PENDING)
            .values(status=CANCELLED, last_error="recipient blocked the bot")
            .execution_options(synchronize_session=False))
        log.info("partner %s blocked the bot on %s; their pending messages are cancelled",
                 r.partner_id, r.channel, extra={"partner_id": r.partner_id})


class _SentMarks:
    """Marks rows sent within a fraction of a second of their send, while the rest of the
    batch goes out: a crash mid-batch re-sends only the rows in flight, not the batch."""

    EVERY = 0.25  # seconds

    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self.written: set[int] = set()
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, rid: int, ref: str | None) -> None:
        self._pending.append({"rid": rid, "ref": ref})
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.EVERY)
            await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            async with self.db.transaction() as s:
                await s.execute(
                    update(TABLE).where(OB.id == bindparam("rid"))
                    .values(status=SENT, sent_at=self.clock.now(), message_ref=bindparam("ref"),
                            last_error=None)
                    .execution_options(synchronize_session=False), batch)
        except Exception as exc:  # left to the tick's record, as before
            log.warning("marking %d sent rows failed (%s)", len(batch), type(exc).__name__)
            return
        self.written.update(b["rid"] for b in batch)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
