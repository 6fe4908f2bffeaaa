"""The nudge engine's pure part: facts, proposed nudges, and placing them in time.

Features hand the planner their rules at start-up (`Feature.nudges` → `NudgeSource`). A rule
looks at one partner's `PartnerFacts` and answers "which nudge would a good coach send, and
when?" as a `Nudge` with a deterministic dedupe key. The key names the *reason* (the
partner's last activity, the module just finished, the failed attempt, the calendar date),
so:

- the planner never plans the same reason twice (the outbox key is unique), and
- the dispatcher re-runs the rules at send time: when they no longer yield the same key (the
  partner went on), the row is cancelled instead of sent (`still_valid`).

`place()` then moves a due time out of the partner's quiet hours (in their own time zone) and
past the per-day limit. No I/O, no clock: `now` is always an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply
from bot.core.timezones import DEFAULT_TZ, QuietHours, zone
from content.schema import NudgeThresholds

if TYPE_CHECKING:
    from content.loader import Pack, PackLibrary

__all__ = ["DEFAULT_TZ", "QuietHours", "zone"]

# the handler stamps last_active_at a moment before it records a completion or a quiz result
SAME_EPISODE = timedelta(minutes=2)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """A partner's data as the rules see it; loaded in batches by the planner.

    The core columns of the partner, and in `extra` what each nudge source loaded for them
    (by source name)."""

    id: int
    state: str
    last_active_at: datetime
    timezone: str = DEFAULT_TZ
    module_id: str | None = None
    step_id: str | None = None
    onboarded_at: datetime | None = None
    pack_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Nudge:
    """One nudge a rule proposes: why, when (UTC, before quiet hours) and until when.

    `priority` breaks ties among nudges due at the same moment (lower: more specific)."""

    kind: str
    key: str
    due_at: datetime
    reason: str
    priority: int
    expires_at: datetime | None = None
    module_id: str | None = None
    next_module: str | None = None
    quiz_id: str | None = None
    attempt_id: int | None = None
    event_date: date | None = None


Rule = Callable[[PartnerFacts, "RuleConfig", datetime], Iterable[Nudge]]


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The rules of one pack, and what placing their nudges needs from the settings."""

    thresholds: NudgeThresholds = field(default_factory=NudgeThresholds)
    rules: tuple[Rule, ...] = ()
    quiet: QuietHours | None = QuietHours(time(21), time(8))  # noqa: RUF009 (frozen)
    per_day: int = 1
    calendar_hour: int = 10
    # how far ahead of its due time a pass may enqueue a nudge (the planning interval)
    lookahead: timedelta = timedelta(minutes=5)


def candidates(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> list[Nudge]:
    """Every nudge the rules propose for this partner, soonest (then most specific) first."""
    found = [n for rule in cfg.rules for n in rule(f, cfg, now)]
    return sorted(found, key=lambda n: (n.due_at, n.priority))


def still_valid(key: str, f: PartnerFacts | None, cfg: RuleConfig, now: datetime,
                found: Sequence[Nudge] | None = None) -> bool:
    """Whether a planned nudge's reason still holds at `now` (else it is cancelled, not sent).

    `found` is the partner's `candidates(...)` when the caller already has them.
    """
    if f is None:
        return False
    for n in (found if found is not None else candidates(f, cfg, now)):
        if n.key == key:
            return n.expires_at is None or now < n.expires_at
    return False


@dataclass(frozen=True, slots=True)
class Placed:
    nudge: Nudge
    due_at: datetime


def _day_start(day: date, cfg: RuleConfig, tz: ZoneInfo) -> datetime:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return cfg.quiet.next_allowed(start, tz) if cfg.quiet else start


def place(n: Nudge, f: PartnerFacts, cfg: RuleConfig, now: datetime,
          nudge_days: Mapping[date, int] | None = None) -> datetime | None:
    """The send time: not before now, outside quiet hours, within the per-day limit.

    `nudge_days` counts the partner's nudges already planned or sent per local date.
    None when the nudge would only go out after it has expired.
    """
    tz = zone(f.timezone)
    due = max(n.due_at, now)
    counts = nudge_days or {}
    for _ in range(32):
        if cfg.quiet:
            due = cfg.quiet.next_allowed(due, tz)
        day = due.astimezone(tz).date()
        if cfg.per_day <= 0 or counts.get(day, 0) < cfg.per_day:
            break
        due = _day_start(day + timedelta(days=1), cfg, tz)
    else:
        return None
    if n.expires_at is not None and due >= n.expires_at:
        return None
    return due


def choose(f: PartnerFacts, cfg: RuleConfig, now: datetime, *, known_keys: Iterable[str] = (),
           nudge_days: Mapping[date, int] | None = None,
           has_pending: bool = False, found: Sequence[Nudge] | None = None) -> Placed | None:
    """The one nudge to enqueue now for this partner, if any.

    Skips reasons already planned (`known_keys`); plans nothing while another nudge of the
    partner is still waiting in the outbox, so partners get one nudge at a time.
    """
    if has_pending:
        return None
    known = set(known_keys)
    for n in (found if found is not None else candidates(f, cfg, now)):
        if n.key in known or n.due_at > now + cfg.lookahead:
            continue
        due = place(n, f, cfg, now, nudge_days)
        if due is not None:
            return Placed(n, due)
    return None


def upcoming(f: PartnerFacts, cfg: RuleConfig, now: datetime, *,
             known_keys: Iterable[str] = (),
             nudge_days: Mapping[date, int] | None = None) -> list[Placed]:
    """What the rules would plan next (for `coachbot nudges preview`), each with its send time."""
    known = set(known_keys)
    out = []
    for n in candidates(f, cfg, now):
        if n.key in known:
            continue
        due = place(n, f, cfg, now, nudge_days)
        if due is not None:
            out.append(Placed(n, due))
    return out


# ---- what a feature hands the planner ------------------------------------------------------

@dataclass(slots=True)
class Target:
    """Where and how to reach a partner, besides the facts the rules read."""

    channel: str
    chat_id: str
    name: str | None
    language: str
    pack_id: str


@dataclass(frozen=True)
class PlanQuery:
    """What a source's SQL pre-filter may use: the moment, the partner columns the planner
    reads, the window of activity in which reasons may have come due, and the condition every
    nudged partner meets (a partner, reachable, opted in, no nudge already waiting)."""

    now: datetime
    dialect: str
    calendar: bool
    lookahead: timedelta
    in_window: ColumnElement[bool]
    not_expired: ColumnElement[bool]
    base: tuple[ColumnElement[bool], ...]
    # per threshold name (e.g. "stalled_hours"), the earliest any pack's reason comes due
    soonest: Mapping[str, timedelta]
    # the inactivity threshold's range over the packs
    idle: tuple[timedelta, timedelta]
    # the start of the episode a reason must belong to (last activity, less SAME_EPISODE)
    episode: datetime
    key: Callable[..., ColumnElement[str]]
    unknown: Callable[[ColumnElement[str]], ColumnElement[bool]]
    stamp: Callable[[Any], ColumnElement[str]]
    packs: Sequence[Pack] = ()
    # the pack a partner is served from (theirs, or the deployment's default)
    pack_of: Callable[[str], Pack] | None = None


class NudgeSource(Protocol):
    """A feature's nudges, as the planner runs them.

    `rules(pack)` are pure; `relevant` and `candidates` narrow a pass to the partners who may
    get one of this source's nudges now (SQL over the partners table `q` exposes); `load`
    reads the extra facts the rules need for a batch of partners; `render` turns the chosen
    nudges of its `kinds` into what the partner sees.

    `changed(q, since)` names the partners whose facts this source loads were changed since
    `since` by someone else than the partner (a coach's review): the planner re-judges a
    waiting nudge only when its partner acted since it was judged (their last activity
    moved), its reason expired, or a source names them here. So a rule must not depend on
    `now` except through its nudges' `expires_at`: for unchanged facts, a key it yields stays
    yielded until it expires (tests/missions/test_nudge_verdicts.py checks every rule)."""

    name: str
    kinds: frozenset[str]

    def rules(self, pack: Pack) -> Sequence[Rule]: ...

    def relevant(self, q: PlanQuery) -> Sequence[ColumnElement[bool]]: ...

    def candidates(self, q: PlanQuery) -> Sequence[Select[Any]]: ...

    def changed(self, q: PlanQuery, since: datetime) -> Sequence[Select[Any]]: ...

    async def load(self, s: AsyncSession, facts: Mapping[int, PartnerFacts],
                   q: PlanQuery) -> Mapping[int, Any]: ...

    async def render(self, s: AsyncSession, chosen: Sequence[tuple[Target, Placed]],
                     library: PackLibrary, pack_of: Callable[[str], Pack]) -> list[Reply]: ...
