"""The nudge planner: one pass over every partner, in batches, with set-based SQL.

A pass first asks the database which partners can get a nudge now: one indexed query per
rule kind (the reason is due within the lookahead, has not expired, and its dedupe key is
not in the outbox yet), plus the partners with a pending nudge (checked for cancellation).
That is a pre-filter only: those partners are then read in batches of `batch_size` (plain
tuples, no ORM object per partner: the partners, their recent progress and quiz attempts,
their recent nudge rows) and the pure rules (scheduler/rules.py) decide, with all their facts,
at most one nudge per partner. New rows go in with one statement per batch (ON CONFLICT DO
NOTHING on the dedupe key), pending nudges whose reason is gone are cancelled in one
statement, and a batch's writes run while the next batch is read. Memory stays bounded by
the batch (plus the list of candidate ids), not by the partner count.

    planner = Planner(db, library, settings, clock)
    stats = await planner.run_pass()
    preview = await planner.preview(partner_id)   # for `coachbot nudges preview`
    check = planner.validator()                   # the dispatcher's "reason still there?" test
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
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
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import Clock, SystemClock
from bot.storage.db import Database
from bot.storage.models import (
    ModuleProgress,
    OutboxMessage,
    OutboxStatus,
    Partner,
    QuizAnswer,
    QuizAttempt,
)
from content.loader import Pack, PackLibrary
from scheduler import outbox
from scheduler.messages import nudge_payload, render_nudge, topics_for
from scheduler.rules import (
    ONBOARDING_STATES,
    PAYDAY,
    SAME_EPISODE,
    PartnerFacts,
    Placed,
    QuietHours,
    RuleConfig,
    candidates,
    choose,
    still_valid,
    upcoming,
    zone,
)

log = logging.getLogger(__name__)

# Core columns, not ORM attributes: rows come back as plain tuples without ORM loading
PT = cast(Table, Partner.__table__).c
MP = cast(Table, ModuleProgress.__table__).c
QA = cast(Table, QuizAttempt.__table__).c
QN = cast(Table, QuizAnswer.__table__).c
OB = cast(Table, OutboxMessage.__table__).c
PARTNERS = cast(Table, Partner.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
_PARTNER_COLS = (PT.id, PT.channel, PT.chat_id, PT.name, PT.language, PT.timezone, PT.pack_id,
                 PT.state, PT.module_id, PT.step_id, PT.onboarded_at, PT.last_active_at)
# a reason that came due while the planner was down this long is still planned
CATCH_UP = timedelta(days=2)
_COUNTED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.SENT.value)


@dataclass(slots=True)
class Target:
    """Where and how to reach a partner, besides the facts the rules read."""

    channel: str
    chat_id: str
    name: str | None
    language: str
    pack_id: str


@dataclass(slots=True)
class NudgeRow:
    id: int
    key: str
    status: str
    due_at: datetime
    sent_at: datetime | None


@dataclass
class PassStats:
    partners: int = 0
    planned: int = 0
    cancelled: int = 0
    batches: int = 0


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


def calendar_near(now: datetime) -> bool:
    """Whether some time zone is on the eve of a twin date or payday around `now`."""
    for hours in (-14, 0, 14):
        tomorrow = (now + timedelta(hours=hours)).date() + timedelta(days=1)
        if tomorrow.day == tomorrow.month or tomorrow.day == PAYDAY:
            return True
    return False


def _dialect(s: AsyncSession) -> str:
    return s.bind.dialect.name if s.bind else "sqlite"


def among(col: ColumnElement[int], ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """`col IN ids`; on PostgreSQL one array parameter instead of one parameter per id."""
    if dialect == "postgresql":
        return col == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Integer)))
    return col.in_(list(ids))


def _stamp_sql(col: Any, dialect: str) -> ColumnElement[str]:
    """rules.stamp() in SQL: whole seconds since the epoch, as text."""
    if dialect == "postgresql":
        return sql_cast(sql_cast(func.floor(func.extract("epoch", col)), postgresql.BIGINT),
                        String)
    return func.strftime("%s", col)


def _key(partner_id: Any, *parts: Any) -> ColumnElement[str]:
    """A nudge's dedupe key built in SQL (rules.py): 'n:' || partner id || parts..."""
    out: Any = literal("n:", String) + sql_cast(partner_id, String)
    for p in parts:
        out = out + (literal(p, String) if isinstance(p, str) else p)
    return cast(ColumnElement[str], out)


def _unknown(key: ColumnElement[str]) -> ColumnElement[bool]:
    """No outbox row has this key yet (read through the unique dedupe-key index)."""
    return ~exists().where(OB.dedupe_key == key)


# one statement per batch on PostgreSQL: the rows travel as one array per column
_PG_INSERT = text(
    "INSERT INTO outbox (partner_id, channel, chat_id, kind, payload, due_at, status, attempts,"
    " dedupe_key, created_at)"
    " SELECT t.partner_id, t.channel, t.chat_id, :kind, CAST(t.payload AS JSON), t.due_at,"
    " :status, 0, t.dedupe_key, :created_at"
    " FROM unnest(CAST(:partner_id AS INTEGER[]), CAST(:channel AS VARCHAR[]),"
    " CAST(:chat_id AS VARCHAR[]), CAST(:payload AS TEXT[]),"
    " CAST(:due_at AS TIMESTAMPTZ[]), CAST(:dedupe_key AS VARCHAR[]))"
    " AS t(partner_id, channel, chat_id, payload, due_at, dedupe_key)"
    " ON CONFLICT (dedupe_key) DO NOTHING")


async def insert_nudges(s: AsyncSession, values: Sequence[dict[str, Any]],
                        now: datetime) -> None:
    """Adds pending nudge rows (dict(partner_id, channel, chat_id, payload, due_at,
    dedupe_key)); a row whose dedupe key exists already is skipped."""
    if not values:
        return
    if _dialect(s) == "postgresql":
        await s.execute(_PG_INSERT, {
            "kind": outbox.NUDGE, "status": OutboxStatus.PENDING.value, "created_at": now,
            **{c: [v[c] for v in values] for c in ("partner_id", "channel", "chat_id",
                                                   "due_at", "dedupe_key")},
            "payload": [json.dumps(v["payload"]) for v in values]})
        return
    rows = [dict(v, kind=outbox.NUDGE, status=OutboxStatus.PENDING.value, attempts=0,
                 created_at=now) for v in values]
    await s.execute(sqlite.insert(OUTBOX).on_conflict_do_nothing(
        index_elements=["dedupe_key"]), rows)


class Planner:
    def __init__(self, db: Database, library: PackLibrary, settings: Settings,
                 clock: Clock | None = None, *, batch_size: int = 2000):
        self.db = db
        self.library = library
        self.settings = settings
        self.clock = clock or SystemClock()
        self.batch_size = batch_size
        self.quiet = QuietHours.parse(settings.quiet_hours)
        lookahead = timedelta(seconds=max(settings.planner_interval, 0))
        self._configs: dict[str, RuleConfig] = {}
        for pack in library.packs.values():
            order = pack.module_order
            self._configs[pack.id] = RuleConfig(
                thresholds=pack.nudges.thresholds,
                next_module={m: (order[i + 1] if i + 1 < len(order) else None)
                             for i, m in enumerate(order)},
                promotion_module=pack.meta.promotion_module, quiet=self.quiet,
                per_day=settings.nudges_per_day, calendar_hour=settings.nudge_calendar_hour,
                lookahead=lookahead)
        th = [c.thresholds for c in self._configs.values()] or [RuleConfig().thresholds]
        days = max(t.inactive_days for t in th)
        # activity older than this only feeds the inactive check-in (the rest is superseded)
        self._recent = timedelta(days=days + 1)
        self._short = timedelta(hours=max(max(t.stalled_hours, t.quiz_failed_hours,
                                              t.onboarding_unfinished_hours,
                                              t.module_finished_hours) for t in th))
        self._idle = (timedelta(days=min(t.inactive_days for t in th)), timedelta(days=days))
        self._lookahead = lookahead
        # per rule kind, the earliest any pack's reason comes due (the pre-filters' bounds)
        self._soonest = {
            "onb": timedelta(hours=min(t.onboarding_unfinished_hours for t in th)),
            "stall": timedelta(hours=min(t.stalled_hours for t in th)),
            "mfin": timedelta(hours=min(t.module_finished_hours for t in th)),
            "quiz": timedelta(hours=min(t.quiz_failed_hours for t in th)),
        }
        self._promo_ids = sorted({c.promotion_module for c in self._configs.values()
                                  if c.promotion_module})

    def pack(self, pack_id: str) -> Pack:
        return self.library.packs.get(pack_id) or self.library.packs.get(
            self.settings.default_pack) or next(iter(self.library.packs.values()))

    def config(self, pack_id: str) -> RuleConfig:
        return self._configs[self.pack(pack_id).id]

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
        recent_ids: list[int] = []
        cutoff = now - self._recent
        for (pid, channel, chat_id, name, language, tz, pack_id, state, module_id, step_id,
             onboarded_at, last_active_at) in (await s.execute(q)).all():
            batch.targets[pid] = Target(channel, chat_id, name, language, pack_id)
            batch.facts[pid] = PartnerFacts(pid, state, last_active_at, tz, module_id, step_id,
                                            onboarded_at)
            if last_active_at >= cutoff:
                recent_ids.append(pid)
        if not batch.facts:
            return batch
        ids = list(batch.facts)
        dialect = _dialect(s)

        progress: dict[int, list[tuple[str, datetime | None]]] = defaultdict(list)
        attempts: dict[int, list[tuple[int, str, datetime | None, bool | None]]] = (
            defaultdict(list))
        if recent_ids:
            rows = await s.execute(select(MP.partner_id, MP.module_id, MP.completed_at)
                                   .where(among(MP.partner_id, recent_ids, dialect)))
            for pid, mid, completed_at in rows.all():
                progress[pid].append((mid, completed_at))
            tries_q = await s.execute(
                select(QA.partner_id, QA.id, QA.quiz_id, QA.finished_at, QA.passed)
                .where(among(QA.partner_id, recent_ids, dialect)))
            for pid, aid, quiz_id, finished_at, passed in tries_q.all():
                attempts[pid].append((aid, quiz_id, finished_at, passed))
        promo_done: set[int] = set()
        promo_ids = {c.promotion_module for c in self._configs.values() if c.promotion_module}
        if calendar and promo_ids:
            promo_q = await s.execute(
                select(MP.partner_id, MP.module_id)
                .where(among(MP.partner_id, ids, dialect), MP.module_id.in_(sorted(promo_ids)),
                       MP.completed_at.is_not(None)))
            for pid, mid in promo_q.all():
                target = batch.targets.get(pid)
                if target and self.config(target.pack_id).promotion_module == mid:
                    promo_done.add(pid)
        nudge_q = await s.execute(
            select(OB.partner_id, OB.id, OB.dedupe_key,
                   OB.status, OB.due_at, OB.sent_at)
            .join(PARTNERS, PT.id == OB.partner_id)
            .where(among(OB.partner_id, ids, dialect), OB.kind == outbox.NUDGE,
                   or_(OB.status.in_(outbox.OPEN),
                       OB.due_at >= now - timedelta(days=2),
                       OB.created_at >= PT.last_active_at)))
        for owner, oid, key, status, due_at, sent_at in nudge_q.all():
            if owner is not None:
                batch.nudges[owner].append(NudgeRow(oid, key, status, due_at, sent_at))

        for pid in set(progress) | set(attempts) | promo_done:
            f = batch.facts.get(pid)
            if f is None:
                continue
            extra: dict[str, Any] = {"promotion_done": pid in promo_done}
            done = [(c, m) for m, c in progress.get(pid, ()) if c is not None]
            if done:
                finished_at, finished = max(done)
                extra.update(finished_module=finished, finished_at=finished_at,
                             started_modules=frozenset(m for m, _ in progress[pid]))
            tries = attempts.get(pid, [])
            closed = [(fin, aid, quiz, ok) for aid, quiz, fin, ok in tries if fin is not None]
            if closed:
                fin, aid, quiz, ok = max(closed)
                newer = any(a > aid and q == quiz for a, q, _, _ in tries)
                if ok is False and not newer:
                    extra.update(failed_quiz=quiz, failed_attempt_id=aid, failed_at=fin)
            batch.facts[pid] = _replace(f, extra)
        return batch

    # ---- a pass --------------------------------------------------------------------------

    def _relevant(self, now: datetime, calendar: bool) -> ColumnElement[bool]:
        """Partners for whom a reason may have come due within the catch-up window.

        Everyone else has nothing new: their reasons came due (and were planned) in earlier
        passes, or lie further ahead. This keeps a pass over 100k partners to the few who
        matter, read through the last-activity index.
        """
        soonest, latest = self._idle
        conds: list[ColumnElement[bool]] = [
            PT.last_active_at >= now - self._short - CATCH_UP,
            and_(PT.last_active_at >= now - latest - CATCH_UP,
                 PT.last_active_at <= now - soonest + self._lookahead),
            PT.id.in_(select(OB.partner_id).where(OB.status == OutboxStatus.PENDING.value,
                                                  OB.kind == outbox.NUDGE)),
        ]
        promo_ids = sorted({c.promotion_module for c in self._configs.values()
                            if c.promotion_module})
        if calendar and promo_ids:
            conds.append(PT.id.in_(select(MP.partner_id).where(
                MP.module_id.in_(promo_ids), MP.completed_at.is_not(None))))
        return or_(*conds)

    def _candidates_sql(self, now: datetime, calendar: bool,
                        dialect: str) -> list[Any]:
        """One query per rule kind: the partners for whom that rule may plan something now.

        A pre-filter only: every partner it returns is then judged by the pure rules with all
        their facts, exactly as the `_relevant` window would have them judged. Each branch is
        a superset of the partners in that window for whom its rule yields a nudge that is
        due (within the lookahead), not expired and whose dedupe key is not in the outbox
        yet, so the partners it leaves out are those for whom `choose()` returns nothing.
        Partners with a pending or in-flight nudge are left out here (`choose()` plans
        nothing for them) and judged separately, for the cancellation of stale rows.
        """
        soonest, latest = self._idle
        ahead = self._lookahead
        la = PT.last_active_at
        stamp = _stamp_sql(la, dialect)
        in_window = or_(la >= now - self._short - CATCH_UP,
                        and_(la >= now - latest - CATCH_UP, la <= now - soonest + ahead))
        not_expired = la >= now - latest  # every reason but inactivity expires after it
        open_nudge = exists().where(OB.partner_id == PT.id, OB.kind == outbox.NUDGE,
                                    OB.status.in_(outbox.OPEN))
        base = (PT.role == "partner", PT.opted_out.is_(False), PT.blocked.is_(False),
                ~open_nudge)
        episode = now - latest - SAME_EPISODE
        mfin_due = now - self._soonest["mfin"] + ahead
        quiz_due = now - self._soonest["quiz"] + ahead
        kinds: list[Any] = [
            select(PT.id).where(  # onboarding unfinished
                *base, in_window, not_expired, PT.onboarded_at.is_(None),
                PT.state.in_(sorted(ONBOARDING_STATES)),
                la <= now - self._soonest["onb"] + ahead, _unknown(_key(PT.id, ":onb:", stamp))),
            select(PT.id).where(  # stalled mid-module
                *base, in_window, not_expired, PT.state == "module",
                PT.module_id.is_not(None), la <= now - self._soonest["stall"] + ahead,
                _unknown(_key(PT.id, ":stall:", PT.module_id, ":",
                              func.coalesce(PT.step_id, "None"), ":", stamp))),
            select(PT.id).where(  # module finished
                *base, in_window, not_expired, PT.state == "menu",
                exists().where(MP.partner_id == PT.id, MP.completed_at.is_not(None),
                               MP.completed_at <= mfin_due, MP.completed_at >= episode,
                               _unknown(_key(MP.partner_id, ":mfin:", MP.module_id)))),
            select(PT.id).where(  # quiz failed
                *base, in_window, not_expired, PT.state != "quiz",
                exists().where(QA.partner_id == PT.id, QA.passed.is_(False),
                               QA.finished_at.is_not(None), QA.finished_at <= quiz_due,
                               QA.finished_at >= episode,
                               _unknown(_key(QA.partner_id, ":quiz:", sql_cast(QA.id, String))))),
            select(PT.id).where(  # inactive for a while (never expires)
                *base, in_window, PT.onboarded_at.is_not(None), la <= now - soonest + ahead,
                _unknown(_key(PT.id, ":idle:", stamp))),
        ]
        if calendar and self._promo_ids:
            kinds.append(select(PT.id).where(  # twin date / payday eve: promotion done
                *base[:3], exists().where(MP.partner_id == PT.id,
                                          MP.module_id.in_(self._promo_ids),
                                          MP.completed_at.is_not(None))))
        # pending nudges: judged for cancellation (and, once cancelled, for a new one)
        kinds.append(select(OB.partner_id).where(
            OB.status == OutboxStatus.PENDING.value, OB.kind == outbox.NUDGE,
            OB.partner_id.is_not(None)))
        return kinds

    async def candidate_ids(self, s: AsyncSession, now: datetime,
                            calendar: bool | None = None) -> list[int]:
        """The ids of the partners a pass judges, ascending (see `_candidates_sql`)."""
        cal = calendar_near(now) if calendar is None else calendar
        ids = union(*self._candidates_sql(now, cal, _dialect(s))).subquery()
        rows = await s.execute(select(ids.c[0]).order_by(ids.c[0]))
        return [pid for (pid,) in rows.all()]

    async def run_pass(self) -> PassStats:
        """Plans nudges for every partner, in batches.

        Each batch is read and decided in one transaction and written in a second one, which
        runs while the next batch is read and decided (the database inserts while Python
        renders), so a pass costs about the larger of the two, not their sum.
        """
        now = self.clock.now()
        stats = PassStats()
        calendar = calendar_near(now)
        async with self.db.transaction() as s:
            ids = await self.candidate_ids(s, now, calendar)
            dialect = _dialect(s)
        writing: asyncio.Task[None] | None = None
        try:
            for start in range(0, len(ids), self.batch_size):
                chunk = ids[start:start + self.batch_size]
                async with self.db.transaction() as s:
                    batch = await self._load(s, among(PT.id, chunk, dialect), now,
                                             calendar=calendar)
                    if not batch.facts:
                        continue
                    chosen, stale = self.decide(batch, now)
                    values = await self._render(s, batch, chosen)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._write(stale, values, now))
                stats.partners += len(batch.facts)
                stats.planned += len(values)
                stats.cancelled += len(stale)
                stats.batches += 1
            if writing is not None:
                await writing
        finally:
            if writing is not None and not writing.done():
                writing.cancel()
        log.info("nudge pass: %d partners, %d planned, %d cancelled", stats.partners,
                 stats.planned, stats.cancelled)
        return stats

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
        gone (those rows count as cancelled for the partner's choice).
        """
        chosen: list[tuple[int, Placed]] = []
        stale: list[int] = []
        for pid, f in batch.facts.items():
            rows = batch.nudges.get(pid, [])
            cfg = self.config(batch.targets[pid].pack_id)
            found = candidates(f, cfg, now)
            for r in rows:
                if r.status == OutboxStatus.PENDING.value and not still_valid(r.key, f, cfg, now,
                                                                              found):
                    r.status = OutboxStatus.CANCELLED.value
                    stale.append(r.id)
            placed = choose(f, cfg, now, known_keys=[r.key for r in rows],
                            nudge_days=self._days(rows, f.timezone) if rows else None,
                            has_pending=any(r.status in outbox.OPEN for r in rows), found=found)
            if placed is not None:
                chosen.append((pid, placed))
        return chosen, stale

    async def _render(self, s: AsyncSession, batch: _Batch,
                      chosen: list[tuple[int, Placed]]) -> list[dict[str, Any]]:
        """The outbox rows for the chosen nudges, each rendered in the partner's language."""
        if not chosen:
            return []
        missed = await self._missed_questions(
            s, [p.nudge.attempt_id for _, p in chosen if p.nudge.attempt_id is not None])
        values = []
        for pid, p in chosen:
            target = batch.targets[pid]
            pack = self.pack(target.pack_id)
            topics = topics_for(pack, p.nudge.quiz_id, missed.get(p.nudge.attempt_id or 0, []),
                                target.language)
            reply = render_nudge(p.nudge, pack, self.library, lang=target.language,
                                 name=target.name, topics=topics)
            values.append(dict(partner_id=pid, channel=target.channel, chat_id=target.chat_id,
                               payload=nudge_payload(reply, p.nudge), due_at=p.due_at,
                               dedupe_key=p.nudge.key))
        return values

    async def _write(self, stale: list[int], values: list[dict[str, Any]],
                     now: datetime) -> None:
        """Cancels the stale rows and inserts the new ones, in one transaction."""
        if not stale and not values:
            return
        async with self.db.transaction() as s:
            if stale:
                await s.execute(
                    update(OUTBOX)
                    .where(OB.id.in_(stale), OB.status == OutboxStatus.PENDING.value)
                    .values(status=OutboxStatus.CANCELLED.value, last_error="reason gone")
                    .execution_options(synchronize_session=False))
            await insert_nudges(s, values, now)

    async def _missed_questions(self, s: AsyncSession,
                                attempt_ids: list[int]) -> dict[int, list[str]]:
        if not attempt_ids:
            return {}
        rows = await s.execute(
            select(QN.attempt_id, QN.question_id)
            .where(QN.attempt_id.in_(attempt_ids), QN.correct.is_(False)))
        out: dict[int, list[str]] = defaultdict(list)
        for aid, qid in rows.all():
            out[aid].append(qid)
        return out

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
            pending = await outbox.pending_for_partner(s, partner_id)
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


def _replace(f: PartnerFacts, changes: dict[str, Any]) -> PartnerFacts:
    """`f` with the loaded extras (a plain constructor call: cheaper than replace())."""
    return PartnerFacts(f.id, f.state, f.last_active_at, f.timezone, f.module_id, f.step_id,
                        f.onboarded_at, **changes)


def local_time(moment: datetime, tz_name: str) -> str:
    local = moment.astimezone(zone(tz_name))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


__all__ = ["NudgeValidator", "PassStats", "Planner", "Preview", "calendar_near", "local_time"]
