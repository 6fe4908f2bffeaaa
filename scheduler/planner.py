"""The nudge planner: one pass over every partner, in batches, with set-based SQL.

The planner is an engine: the rules, their SQL pre-filters, the facts they read and how a
nudge looks are the features' (`NudgeSource`, handed over at start-up); it imports none.

A pass first asks the database which partners can get a nudge now: one indexed query per
rule kind (from the sources: the reason is due within the lookahead, has not expired, and
its dedupe key is not in the outbox yet), plus the partners with a pending nudge (checked
for cancellation). A pass costs what changed: a verdict is kept with what it was judged on
(a waiting nudge's row holds the partner's last activity and when its reason expires; a
partner given nothing has a `nudge_quiet` row with the moment their next reason comes due),
and a partner is judged again only when their last activity moved, that moment came, or a
source names a change someone else made since the last pass. That is a pre-filter only:
those partners are then read in batches of `batch_size` (plain tuples, no ORM object per
partner: the partners, what each source loads for them, their recent nudge rows) and the
pure rules decide, with all their facts, at most one nudge per partner. New rows go in with
one statement per batch (ON CONFLICT DO NOTHING on the dedupe key), pending nudges whose
reason is gone are cancelled in one statement, and a batch's writes run while the next batch
is read. Memory stays bounded by the batch (plus the list of candidate ids), not by the
partner count. A pass judges at most `max_partners` candidates (`planner_max_partners`: by
default what the dispatcher sends between two passes) and takes no further batch once
another would take it past `planner_pass_budget` seconds: a backlog larger than that (a
first start over many partners) is judged over the next passes, in id order: the outbox
could not send its nudges faster anyway (see `_max_partners`).

    planner = Planner(db, library, settings, clock, sources=[...])
    stats = await planner.run_pass()
    preview = await planner.preview(partner_id)   # for `coachbot nudges preview`
    check = planner.validator()                   # the dispatcher's "reason still there?" test
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import time
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import Clock, SystemClock
from bot.core.timezones import local_time, zone
from bot.storage.db import Database
from bot.storage.models import NudgeQuiet, OutboxMessage, OutboxStatus, Partner
from content.loader import Pack, PackLibrary
from content.schema import NudgeThresholds
from scheduler import outbox
from scheduler.nudging import (
    SAME_EPISODE,
    NudgeSource,
    PartnerFacts,
    Placed,
    PlanQuery,
    QuietHours,
    RuleConfig,
    Target,
    candidates,
    choose,
    still_valid,
    upcoming,
)
from scheduler.outbox import Item, Outbox, payload_of

log = logging.getLogger(__name__)

# Core columns, not ORM attributes: rows come back as plain tuples without ORM loading
PT = cast(Table, Partner.__table__).c
OB = cast(Table, OutboxMessage.__table__).c
OUTBOX = cast(Table, OutboxMessage.__table__)
QUIET = cast(Table, NudgeQuiet.__table__)
QT = QUIET.c
PARTNERS = cast(Table, Partner.__table__)
_PARTNER_COLS = (PT.id, PT.channel, PT.chat_id, PT.name, PT.language, PT.timezone, PT.pack_id,
                 PT.state, PT.module_id, PT.step_id, PT.onboarded_at, PT.last_active_at)
# PostgreSQL: a batch's "nothing to plan" verdicts in one statement, each column one array
# (not a multi-row VALUES with three parameters a partner)
_PG_QUIET = text(
    "INSERT INTO nudge_quiet (partner_id, seen_active, until)"
    " SELECT * FROM unnest(CAST(:pid AS INTEGER[]), CAST(:seen AS TIMESTAMPTZ[]),"
    " CAST(:until AS TIMESTAMPTZ[]))"
    " ON CONFLICT (partner_id) DO UPDATE"
    " SET seen_active = excluded.seen_active, until = excluded.until")
# a reason that came due while the planner was down this long is still planned
CATCH_UP = timedelta(days=2)
# a coach's change stamped this long before a pass may commit after that pass read: the next
# pass still looks at it
IN_FLIGHT = timedelta(minutes=10)
_COUNTED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.SENT.value)
PAYDAY = 25
# a pass judges at most this many times what the dispatcher can send before the next pass:
# judging more only plans nudges that wait behind the others, and keeps a pass within 2 s
SEND_MARGIN = 1.0
# a pass this small costs little whatever the rates: no bound below it
MIN_BOUND = 1000
# batches read at once on PostgreSQL: one decided while the next one's queries are answered
READ_AHEAD = 2


@dataclass(slots=True)
class NudgeRow:
    id: int
    key: str
    status: str
    due_at: datetime
    sent_at: datetime | None
    # the verdict stored with a pending row (None: never judged by a pass)
    seen_active: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A waiting nudge found still valid: its partner's last activity as judged, and when its
    reason expires (None: never). Until one of them moves, the next passes skip it."""

    row_id: int
    seen_active: datetime
    valid_until: datetime | None


@dataclass
class PassStats:
    partners: int = 0
    planned: int = 0
    cancelled: int = 0
    batches: int = 0
    # candidates left for the next passes (the pass was bounded by `max_partners`)
    more: bool = False
    # … because the pass stopped on its time budget
    out_of_time: bool = False


@dataclass
class Preview:
    """What `coachbot nudges preview` shows for one partner."""

    partner_id: int
    timezone: str
    pending: list[outbox.OutboxRow]
    planned: list[Placed]
    excluded: str | None = None  # why the partner gets no nudges (opted out, blocked, coach)


@dataclass
class _Batch:
    facts: dict[int, PartnerFacts] = field(default_factory=dict)
    targets: dict[int, Target] = field(default_factory=dict)
    nudges: dict[int, list[NudgeRow]] = field(default_factory=lambda: defaultdict(list))
    # set by `decide`: waiting rows still valid whose stored verdict is out of date; the
    # partners given nothing, with when something of theirs comes due; those given a nudge
    verdicts: list[Verdict] = field(default_factory=list)
    quiet: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)


def calendar_near(now: datetime) -> bool:
    """Whether some time zone is on the eve of a twin date or payday around `now`."""
    for hours in (-14, 0, 14):
        tomorrow = (now + timedelta(hours=hours)).date() + timedelta(days=1)
        if tomorrow.day == tomorrow.month or tomorrow.day == PAYDAY:
            return True
    return False


def _max_partners(settings: Settings) -> int:
    """How many partners a pass judges at most (0: all).

    Planning faster than the outbox is sent gains nothing: a nudge planned now waits in the
    outbox behind the ones before it, and the dispatcher checks its reason again when it
    sends it. So a backlog (a first start over 100k partners: 27k nudges, 15 minutes of
    sending at 30 a second) is judged over several passes, each within its time budget,
    instead of one long pass. About a sixth of the partners judged get nothing, so the
    dispatcher idles for part of an interval while a backlog lasts: the backlog drains a
    pass later, and every pass stays within the planner's 2-s budget."""
    if settings.planner_max_partners is not None:
        return max(settings.planner_max_partners, 0)
    if settings.planner_interval <= 0 or settings.send_rate <= 0:
        return 0
    return max(math.ceil(SEND_MARGIN * settings.send_rate * settings.planner_interval),
               MIN_BOUND)


def _dialect(s: AsyncSession) -> str:
    return s.bind.dialect.name if s.bind else "sqlite"


def among(col: ColumnElement[int], ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """`col IN ids`; on PostgreSQL one array parameter instead of one parameter per id."""
    if dialect == "postgresql":
        return col == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Integer)))
    return col.in_(list(ids))


def _stamp_sql(col: Any, dialect: str) -> ColumnElement[str]:
    """nudging.stamp() in SQL: whole seconds since the epoch, as text."""
    if dialect == "postgresql":
        return sql_cast(sql_cast(func.floor(func.extract("epoch", col)), postgresql.BIGINT),
                        String)
    return func.strftime("%s", col)


def _key(partner_id: Any, *parts: Any) -> ColumnElement[str]:
    """A nudge's dedupe key built in SQL: 'n:' || partner id || parts..."""
    out: Any = literal("n:", String) + sql_cast(partner_id, String)
    for p in parts:
        out = out + (literal(p, String) if isinstance(p, str) else p)
    return cast(ColumnElement[str], out)


def _unknown(key: ColumnElement[str]) -> ColumnElement[bool]:
    """No outbox row has this key yet (read through the unique dedupe-key index)."""
    return ~exists().where(OB.dedupe_key == key)


def _hours_fields(t: NudgeThresholds) -> dict[str, float]:
    """The pack's thresholds counted in hours after the partner's last activity."""
    return {k: float(v) for k, v in t.model_dump().items() if k.endswith("_hours")}


class Planner:
    def __init__(self, db: Database, library: PackLibrary, settings: Settings,
                 clock: Clock | None = None, *, sources: Sequence[NudgeSource] = (),
                 batch_size: int = 2000, timer: Callable[[], float] = time.monotonic):
        self.db = db
        self.library = library
        self.settings = settings
        self.clock = clock or SystemClock()
        self.sources = tuple(sources)
        self.batch_size = batch_size
        # changes by others (a coach's review) since this moment are looked at; None (a
        # fresh process): every waiting nudge is judged once
        self.since: datetime | None = None
        # a pass judges at most `max_partners` candidates (0: all), in ascending id order from
        # after `_cursor`; a round of passes ends with the pass that reaches the last one, and
        # only then does `since` move (to before the round's first pass, `_round_start`)
        self.max_partners = _max_partners(settings)
        # … and stops taking batches once `budget` seconds of real time are spent (0: never):
        # a slow machine or a busy server spreads a backlog over more passes, none long
        self.budget = max(settings.planner_pass_budget, 0.0)
        self._timer = timer
        self._cursor: int | None = None
        self._round_start: datetime | None = None
        self.quiet = QuietHours.parse(settings.quiet_hours)
        lookahead = timedelta(seconds=max(settings.planner_interval, 0))
        self._configs: dict[str, RuleConfig] = {}
        self._kinds = {kind: src for src in self.sources for kind in src.kinds}
        for pack in library.packs.values():
            self._configs[pack.id] = RuleConfig(
                thresholds=pack.nudges.thresholds,
                rules=tuple(rule for src in self.sources for rule in src.rules(pack)),
                quiet=self.quiet, per_day=settings.nudges_per_day,
                calendar_hour=settings.nudge_calendar_hour, lookahead=lookahead)
        th = [c.thresholds for c in self._configs.values()] or [NudgeThresholds()]
        hours = [_hours_fields(t) for t in th]
        # a reason due within hours of the last activity: the widest window any pack has
        self._short = timedelta(hours=max(max(h.values()) for h in hours))
        self._idle = (timedelta(days=min(t.inactive_days for t in th)),
                      timedelta(days=max(t.inactive_days for t in th)))
        self._lookahead = lookahead
        # per threshold, the earliest any pack's reason comes due (the pre-filters' bounds)
        self._soonest = {name: timedelta(hours=min(h[name] for h in hours))
                         for name in hours[0]}

    def pack(self, pack_id: str) -> Pack:
        return self.library.fallback(pack_id, self.settings.default_pack)

    def config(self, pack_id: str) -> RuleConfig:
        return self._configs[self.pack(pack_id).id]

    def query(self, now: datetime, calendar: bool, dialect: str) -> PlanQuery:
        """The window and conditions the sources' pre-filters build on."""
        soonest, latest = self._idle
        la = PT.last_active_at
        # NOT IN over the (few) partners with an open nudge: PostgreSQL hashes the subquery
        # once, where NOT EXISTS may become a nested loop over the open rows per partner when
        # the outbox's statistics are stale (a fresh backlog: 1.8 s instead of ms at 20k)
        open_nudge = PT.id.in_(select(OB.partner_id).where(
            OB.kind == outbox.NUDGE, OB.status.in_(outbox.OPEN), OB.partner_id.is_not(None)))
        return PlanQuery(
            now=now, dialect=dialect, calendar=calendar, lookahead=self._lookahead,
            in_window=or_(la >= now - self._short - CATCH_UP,
                          and_(la >= now - latest - CATCH_UP,
                               la <= now - soonest + self._lookahead)),
            # every reason but inactivity expires after the inactivity threshold
            not_expired=la >= now - latest,
            base=(PT.role == "partner", PT.opted_out.is_(False), PT.blocked.is_(False),
                  ~open_nudge),
            soonest=self._soonest, idle=self._idle, episode=now - latest - SAME_EPISODE,
            key=_key, unknown=_unknown, stamp=lambda col: _stamp_sql(col, dialect),
            packs=tuple(self.library.packs.values()), pack_of=self.pack)

    # ---- loading -------------------------------------------------------------------------

    async def _load(self, s: AsyncSession, where: ColumnElement[bool], now: datetime, *,
                    limit: int | None = None, calendar: bool = True) -> _Batch:
        q = (select(*_PARTNER_COLS)
             .where(where, PT.role == "partner", PT.opted_out.is_(False),
                    PT.blocked.is_(False))
             .order_by(PT.id))
        if limit is not None:
            q = q.limit(limit)
        batch = _Batch()
        for (pid, channel, chat_id, name, language, tz, pack_id, state, module_id, step_id,
             onboarded_at, last_active_at) in (await s.execute(q)).all():
            batch.targets[pid] = Target(channel, chat_id, name, language, pack_id)
            batch.facts[pid] = PartnerFacts(pid, state, last_active_at, tz, module_id, step_id,
                                            onboarded_at, pack_id)
        if not batch.facts:
            return batch
        ids = list(batch.facts)
        dialect = _dialect(s)
        plan = self.query(now, calendar, dialect)
        for src in self.sources:
            for pid, extra in (await src.load(s, batch.facts, plan)).items():
                batch.facts[pid].extra[src.name] = extra
        nudge_q = await s.execute(
            select(OB.partner_id, OB.id, OB.dedupe_key,
                   OB.status, OB.due_at, OB.sent_at, OB.seen_active, OB.valid_until)
            .join(PARTNERS, PT.id == OB.partner_id)
            .where(among(OB.partner_id, ids, dialect), OB.kind == outbox.NUDGE,
                   or_(OB.status.in_(outbox.OPEN),
                       OB.due_at >= now - timedelta(days=2),
                       OB.created_at >= PT.last_active_at)))
        for owner, oid, key, status, due_at, sent_at, seen, until in nudge_q.all():
            if owner is not None:
                batch.nudges[owner].append(NudgeRow(oid, key, status, due_at, sent_at, seen,
                                                    until))
        return batch

    # ---- a pass --------------------------------------------------------------------------

    def _relevant(self, now: datetime, calendar: bool,
                  dialect: str = "sqlite") -> ColumnElement[bool]:
        """Partners for whom a reason may have come due within the catch-up window.

        Everyone else has nothing new: their reasons came due (and were planned) in earlier
        passes, or lie further ahead. This keeps a pass over 100k partners to the few who
        matter, read through the last-activity index.
        """
        q = self.query(now, calendar, dialect)
        conds: list[ColumnElement[bool]] = [
            q.in_window,
            PT.id.in_(select(OB.partner_id).where(OB.status == OutboxStatus.PENDING.value,
                                                  OB.kind == outbox.NUDGE)),
        ]
        for src in self.sources:
            conds += src.relevant(q)
        return or_(*conds)

    def _candidates_sql(self, now: datetime, calendar: bool, dialect: str) -> list[Any]:
        """One query per rule kind (the sources'): the partners for whom that rule may plan
        something now, plus the partners with a pending nudge.

        A pre-filter only: every partner it returns is then judged by the pure rules with all
        their facts, exactly as the `_relevant` window would have them judged. Each source's
        branch is a superset of the partners in that window for whom its rule yields a nudge
        that is due (within the lookahead), not expired and whose dedupe key is not in the
        outbox yet, so the partners it leaves out are those for whom `choose()` returns
        nothing. Partners with a pending or in-flight nudge are left out of the branches
        (`choose()` plans nothing for them) and judged separately, for the cancellation of
        stale rows: only those whose verdict may have changed (`_waiting_sql`).
        """
        q = self.query(now, calendar, dialect)
        kinds: list[Any] = [sel for src in self.sources for sel in src.candidates(q)]
        kinds.append(self._waiting_sql(q))
        return kinds

    def _waiting_sql(self, q: PlanQuery) -> Any:
        """The partners with a pending nudge whose verdict may have changed since it was
        judged: never judged by a pass, its reason expired (`valid_until`), the partner acted
        since (their last activity is not the one judged: a turn always moves it, whatever
        time it stamps), or a source names a change by someone else since the last pass.
        Everyone else's waiting nudge still holds: for unchanged facts a rule yields the same
        key until it expires (the rules' contract, see `NudgeSource`)."""
        waiting = select(OB.partner_id).where(
            OB.status == OutboxStatus.PENDING.value, OB.kind == outbox.NUDGE,
            OB.partner_id.is_not(None))
        if self.since is None:
            return waiting
        changed: list[ColumnElement[bool]] = [
            OB.seen_active.is_(None), OB.valid_until <= q.now,
            PT.last_active_at != OB.seen_active]
        others = [sel for src in self.sources for sel in src.changed(q, self.since)]
        if others:
            changed.append(OB.partner_id.in_(union(*others)))
        return waiting.select_from(OUTBOX.join(PARTNERS, PT.id == OB.partner_id)).where(
            or_(*changed))

    def _quiet_sql(self, q: PlanQuery) -> Any:
        """The partners judged with nothing to plan whose verdict still holds: their last
        activity is the one judged, nothing of theirs has come due since (`until`), and no
        source names a change by someone else since the last pass. For unchanged facts a
        rule's keys only expire (the rules' contract); a reason that could not be placed
        (the day's cap, then its expiry) cannot be placed later either; and the partner's
        outbox rows change only through a nudge planned for them (the memo is dropped)."""
        assert self.since is not None
        sel = select(QT.partner_id).select_from(
            QUIET.join(PARTNERS, PT.id == QT.partner_id)).where(
            QT.seen_active == PT.last_active_at, or_(QT.until.is_(None), QT.until > q.now))
        others = [o for src in self.sources for o in src.changed(q, self.since)]
        if others:
            sel = sel.where(QT.partner_id.not_in(union(*others)))
        return sel

    async def candidate_ids(self, s: AsyncSession, now: datetime,
                            calendar: bool | None = None) -> list[int]:
        """The ids of the partners a pass judges, ascending (see `_candidates_sql`), less
        those whose "nothing to plan" verdict still holds (`_quiet_sql`; not on a calendar
        eve, whose tips are new reasons that come with the date alone, nor in a fresh
        process, which judges everyone once)."""
        cal = calendar_near(now) if calendar is None else calendar
        dialect = _dialect(s)
        kinds = self._candidates_sql(now, cal, dialect)
        if self.since is not None and not cal:
            found = union(*kinds[:-1]).subquery()
            kinds = [select(found.c[0]).where(
                found.c[0].not_in(self._quiet_sql(self.query(now, cal, dialect)))), kinds[-1]]
        ids = union(*kinds).subquery()
        rows = await s.execute(select(ids.c[0]).order_by(ids.c[0]))
        return [pid for (pid,) in rows.all()]

    async def run_pass(self, limit: int | None = None) -> PassStats:
        """Plans nudges for every partner, in batches.

        Each batch is read, decided and rendered in one transaction and written in a second
        one. On PostgreSQL the next batch is read while this one is decided (Python works
        while the server answers), and a batch's writes run while the following batches are
        read (the server inserts while Python renders): a pass costs about the larger of the
        two sides, not their sum. Batches hold distinct partners, and a partner's verdict
        reads only their own rows, so the order in which they overlap changes nothing.
        """
        started = self._timer()
        now = self.clock.now()
        stats = PassStats()
        calendar = calendar_near(now)
        async with self.db.transaction() as s:
            ids = await self.candidate_ids(s, now, calendar)
            dialect = _dialect(s)
        round_start = self._round_start or now
        if self._cursor is not None:
            ids = ids[bisect_right(ids, self._cursor):]
        most = self.max_partners if limit is None else max(limit, 1)
        bounded = most and len(ids) > most
        if bounded:
            ids = ids[:most]
        chunks = [ids[i:i + self.batch_size] for i in range(0, len(ids), self.batch_size)]
        ends: deque[int] = deque()  # the last candidate of each batch being read
        judged_to: int | None = None  # … and of the last batch decided
        decided = 0
        # SQLite runs one statement at a time: reading ahead would only interleave them
        ahead = READ_AHEAD if dialect == "postgresql" else 1
        reading: deque[asyncio.Task[tuple[_Batch, list[int], list[Item]]]] = deque()
        writing: asyncio.Task[None] | None = None

        def read_next() -> None:
            if len(reading) < ahead and chunks:
                chunk = chunks.pop(0)
                ends.append(chunk[-1])
                reading.append(asyncio.create_task(self._prepare(chunk, now, calendar, dialect)))

        # a backlog allocates many objects that live for a batch, which triggers full
        # collections, each walking the whole heap (packs, SQLAlchemy, the app): ~1 s of a 5 s
        # pass over 100k partners. Objects older than the pass are left out of them until it
        # ends; what the pass itself leaves is collected as usual.
        gc.freeze()
        try:
            for _ in range(ahead):
                read_next()
            while reading:
                batch, stale, items = await reading.popleft()
                judged_to = ends.popleft()
                decided += 1
                spent = self._timer() - started
                if self.budget and spent + spent / decided > self.budget:
                    # another batch would take the pass over its budget: the batches read
                    # ahead are dropped (reads only) and judged in the next pass
                    stats.out_of_time = bool(chunks or reading)
                    chunks.clear()
                    reading_left = list(reading)
                    reading.clear()
                    for dropped in reading_left:
                        dropped.cancel()
                    await asyncio.gather(*reading_left, return_exceptions=True)
                read_next()
                if not batch.facts:
                    continue
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._write(stale, items, now, batch))
                stats.partners += len(batch.facts)
                stats.planned += len(items)
                stats.cancelled += len(stale)
                stats.batches += 1
            if writing is not None:
                await writing
        finally:
            gc.unfreeze()
            left = [t for t in (*reading, writing) if t is not None and not t.done()]
            for t in left:
                t.cancel()
            await asyncio.gather(*left, return_exceptions=True)
        last = not bounded and judged_to == (ids[-1] if ids else None)
        if last:
            # a change by someone else after the round began may have been missed by the
            # partners judged early in it: the next round looks from before its start
            self.since = round_start - IN_FLIGHT
            self._cursor = self._round_start = None
        else:
            self._cursor, self._round_start = judged_to, round_start
        stats.more = not last
        log.info("nudge pass: %d partners, %d planned, %d cancelled%s", stats.partners,
                 stats.planned, stats.cancelled, "" if last else " (more in the next pass)")
        return stats

    async def _prepare(self, chunk: list[int], now: datetime, calendar: bool,
                       dialect: str) -> tuple[_Batch, list[int], list[Item]]:
        """One batch read, decided and rendered, in one transaction: the batch, the stale
        rows to cancel and the rows to insert."""
        async with self.db.transaction() as s:
            batch = await self._load(s, among(PT.id, chunk, dialect), now, calendar=calendar)
            if not batch.facts:
                return batch, [], []
            chosen, stale = self.decide(batch, now)
            items = await self._render(s, batch, chosen)
        return batch, stale, items

    def _days(self, rows: Sequence[NudgeRow], tz_name: str) -> dict[date, int]:
        tz = zone(tz_name)
        days: dict[date, int] = defaultdict(int)
        for r in rows:
            if r.status in _COUNTED:
                days[(r.sent_at or r.due_at).astimezone(tz).date()] += 1
        return days

    def decide(self, batch: _Batch,
               now: datetime) -> tuple[list[tuple[int, Placed]], list[int]]:
        """The pure part of a batch: the nudge to plan per partner, and the stale rows.

        Returns (partner id, placed nudge) pairs and the ids of pending rows whose reason is
        gone (those rows count as cancelled for the partner's choice); the pending rows still
        valid whose stored verdict is out of date go to `batch.verdicts`.
        """
        chosen: list[tuple[int, Placed]] = []
        stale: list[int] = []
        batch.verdicts, batch.quiet, batch.busy = [], [], []
        for pid, f in batch.facts.items():
            rows = batch.nudges.get(pid, [])
            cfg = self.config(batch.targets[pid].pack_id)
            found = candidates(f, cfg, now)
            for r in rows:
                if r.status != OutboxStatus.PENDING.value:
                    continue
                if not still_valid(r.key, f, cfg, now, found):
                    r.status = OutboxStatus.CANCELLED.value
                    stale.append(r.id)
                    continue
                until = next(n.expires_at for n in found if n.key == r.key)
                if r.seen_active != f.last_active_at or r.valid_until != until:
                    batch.verdicts.append(Verdict(r.id, f.last_active_at, until))
            if any(r.status in outbox.OPEN for r in rows):
                continue  # choose() plans nothing while a nudge waits: skip counting the days
            known = {r.key for r in rows}
            placed = choose(f, cfg, now, known_keys=known,
                            nudge_days=self._days(rows, f.timezone) if rows else None,
                            found=found)
            if placed is not None:
                chosen.append((pid, placed))
                batch.busy.append(pid)
                continue
            # nothing now: the next pass that could plan is when a reason not due yet comes
            # within the lookahead
            ahead = now + cfg.lookahead
            batch.quiet.append((pid, f.last_active_at, min(
                (n.due_at - cfg.lookahead for n in found
                 if n.key not in known and n.due_at > ahead), default=None)))
        return chosen, stale

    async def _render(self, s: AsyncSession, batch: _Batch,
                      chosen: list[tuple[int, Placed]]) -> list[Item]:
        """The outbox rows for the chosen nudges, each rendered by the source of its kind, in
        the partner's language."""
        by_source: dict[str, list[tuple[int, Placed]]] = defaultdict(list)
        for pid, p in chosen:
            by_source[self._kinds[p.nudge.kind].name].append((pid, p))
        items: list[Item] = []
        for src in self.sources:
            mine = by_source.get(src.name)
            if not mine:
                continue
            replies = await src.render(s, [(batch.targets[pid], p) for pid, p in mine],
                                       self.library, self.pack)
            for (pid, p), reply in zip(mine, replies, strict=True):
                target = batch.targets[pid]
                items.append(Item(target.channel, target.chat_id, outbox.NUDGE,
                                  payload_of(reply, nudge=str(p.nudge.kind)), p.due_at,
                                  p.nudge.key, pid, batch.facts[pid].last_active_at,
                                  p.nudge.expires_at))
        return items

    async def _write(self, stale: list[int], items: list[Item], now: datetime,
                     batch: _Batch) -> None:
        """Cancels the stale rows, inserts the new ones and stores the verdicts (rows found
        still valid, partners given nothing), in one transaction."""
        verdicts = batch.verdicts
        if not stale and not items and not verdicts and not batch.quiet and not batch.busy:
            return
        async with self.db.transaction() as s:
            if batch.busy:
                await s.execute(QUIET.delete().where(
                    among(QT.partner_id, batch.busy, _dialect(s))))
            if batch.quiet and _dialect(s) == "postgresql":
                pids, seens, untils = zip(*batch.quiet, strict=True)
                await s.execute(_PG_QUIET, {"pid": list(pids), "seen": list(seens),
                                            "until": list(untils)})
            elif batch.quiet:
                ins = sqlite.insert(QUIET)
                await s.execute(ins.on_conflict_do_update(
                    index_elements=[QT.partner_id],
                    set_={"seen_active": ins.excluded.seen_active, "until": ins.excluded.until}),
                    [{"partner_id": pid, "seen_active": seen, "until": until}
                     for pid, seen, until in batch.quiet])
            rows = Outbox(s)
            await rows.cancel_ids(stale, reason="reason gone")
            await rows.add_many(items, now)
            if verdicts:
                await s.execute(
                    OUTBOX.update()
                    .where(OB.id == bindparam("row_id"),
                           OB.status == OutboxStatus.PENDING.value)
                    .values(seen_active=bindparam("seen"), valid_until=bindparam("until")),
                    [{"row_id": v.row_id, "seen": v.seen_active, "until": v.valid_until}
                     for v in verdicts])

    # ---- one partner ---------------------------------------------------------------------

    async def preview(self, partner_id: int) -> Preview | None:
        """The partner's pending rows and the nudges the rules would plan next."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            row = (await s.execute(
                select(PT.timezone, PT.role, PT.opted_out, PT.blocked)
                .where(PT.id == partner_id))).one_or_none()
            if row is None:
                return None
            tz, role, opted_out, blocked = row
            pending = await Outbox(s).pending_for_partner(partner_id)
            excluded = ("opted out (/stop)" if opted_out else "blocked the bot" if blocked
                        else f"role {role}: nudges are for partners" if role != "partner"
                        else None)
            if excluded:
                return Preview(partner_id, tz, pending, [], excluded)
            batch = await self._load(s, PT.id == partner_id, now)
        f = batch.facts[partner_id]
        rows = batch.nudges.get(partner_id, [])
        planned = upcoming(f, self.config(batch.targets[partner_id].pack_id), now,
                           known_keys=[r.key for r in rows],
                           nudge_days=self._days(rows, f.timezone))
        return Preview(partner_id, tz, pending, planned)

    def validator(self) -> NudgeValidator:
        return NudgeValidator(self)


class NudgeValidator:
    """The dispatcher's last check: is each claimed nudge's reason still there?"""

    def __init__(self, planner: Planner):
        self.planner = planner

    async def __call__(self, s: AsyncSession, rows: Sequence[Any],
                       now: datetime) -> dict[int, str]:
        """Maps the id of every claimed nudge row that must not be sent to the reason why."""
        nudges = [r for r in rows if r.kind == outbox.NUDGE and r.partner_id is not None]
        if not nudges:
            return {}
        ids = sorted({r.partner_id for r in nudges})
        batch = await self.planner._load(s, PT.id.in_(ids), now)
        out: dict[int, str] = {}
        for r in nudges:
            f = batch.facts.get(r.partner_id)
            if f is None:
                out[r.id] = "partner opted out, blocked or gone"
            elif not still_valid(r.dedupe_key, f,
                                 self.planner.config(batch.targets[r.partner_id].pack_id), now):
                out[r.id] = "reason gone"
        return out


__all__ = ["NudgeValidator", "PassStats", "Planner", "Preview", "among", "calendar_near",
           "local_time"]
