"""Nudge rules and quiet-hour arithmetic: small pure functions of a partner's facts and a time.

Every rule looks at one `PartnerFacts` and answers "which nudge would a good coach send, and
when?" as a `Nudge` with a deterministic dedupe key. The key names the *reason* (the partner's
last activity, the module just finished, the failed attempt, the calendar date), so:

- the planner never plans the same reason twice (the outbox key is unique), and
- the dispatcher re-runs the rule at send time: when the rule no longer yields the same key
  (the partner went on), the row is cancelled instead of sent (`still_valid`).

`place()` then moves a due time out of the partner's quiet hours (in their own time zone) and
past the per-day limit. No I/O, no clock: `now` is always an argument.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content.schema import NudgeKind, NudgeThresholds

DEFAULT_TZ = "Asia/Jakarta"
PAYDAY = 25
# the handler stamps last_active_at a moment before it records a completion or a quiz result
SAME_EPISODE = timedelta(minutes=2)
# a nudge planned this close before it is due is still enqueued by the pass that sees it
ONBOARDING_STATES = frozenset({"new", "onboard_language", "onboard_name", "onboard_background",
                               "onboard_timezone", "assess_before"})


class Priority(enum.IntEnum):
    """Tie-break among nudges due at the same moment: the most specific reason wins."""

    QUIZ_FAILED = 0
    MODULE_FINISHED = 1
    STALLED = 2
    ONBOARDING_UNFINISHED = 3
    TWIN_DATE = 4
    PAYDAY = 5
    INACTIVE = 6


@cache
def zone(name: str | None) -> ZoneInfo:
    """The partner's zone; an unknown or empty name falls back to WIB rather than failing."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def stamp(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window in the partner's local time when no nudge is sent (may wrap midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, spec: str | None) -> QuietHours | None:
        """'21:00-08:00' -> QuietHours; '', 'off' or 'none' -> None (no quiet hours)."""
        if not spec or spec.strip().lower() in ("off", "none", "0"):
            return None
        try:
            a, b = (part.strip() for part in spec.split("-", 1))
            return cls(time.fromisoformat(a), time.fromisoformat(b))
        except ValueError as exc:
            raise ValueError(f"quiet hours must look like 21:00-08:00, not {spec!r}") from exc

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """`moment` itself when allowed, else the end of the quiet window it falls in (UTC)."""
        local = moment.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return moment
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """What the rules need from the pack and the settings."""

    thresholds: NudgeThresholds = field(default_factory=NudgeThresholds)
    # module id -> the module after it in the pack (None for the last one)
    next_module: Mapping[str, str | None] = field(default_factory=dict)
    promotion_module: str | None = None
    quiet: QuietHours | None = QuietHours(time(21), time(8))
    per_day: int = 1
    calendar_hour: int = 10
    # how far ahead of its due time a pass may enqueue a nudge (the planning interval)
    lookahead: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """A partner's data as the rules see it; loaded in batches by the planner."""

    id: int
    state: str
    last_active_at: datetime
    timezone: str = DEFAULT_TZ
    module_id: str | None = None
    step_id: str | None = None
    onboarded_at: datetime | None = None
    # the latest module finished, when it was, and every module ever started
    finished_module: str | None = None
    finished_at: datetime | None = None
    started_modules: frozenset[str] = frozenset()
    # the latest finished quiz attempt when it failed and no newer attempt of that quiz exists
    failed_quiz: str | None = None
    failed_attempt_id: int | None = None
    failed_at: datetime | None = None
    promotion_done: bool = False


@dataclass(frozen=True, slots=True)
class Nudge:
    """One nudge a rule proposes: why, when (UTC, before quiet hours) and until when."""

    kind: NudgeKind
    key: str
    due_at: datetime
    reason: str
    priority: Priority
    expires_at: datetime | None = None
    module_id: str | None = None
    next_module: str | None = None
    quiz_id: str | None = None
    attempt_id: int | None = None
    event_date: date | None = None


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _since_last_activity(event_at: datetime | None, f: PartnerFacts) -> bool:
    """True when the event was the partner's last move (nothing happened after it)."""
    return event_at is not None and event_at >= f.last_active_at - SAME_EPISODE


def _superseded_at(f: PartnerFacts, cfg: RuleConfig) -> datetime:
    # once the partner has been away for the inactive threshold, the check-in replaces the rest
    return f.last_active_at + timedelta(days=cfg.thresholds.inactive_days)


def onboarding_unfinished(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Nudge | None:
    """Onboarding started but not finished: a gentle reminder after a couple of hours."""
    if f.onboarded_at is not None or f.state not in ONBOARDING_STATES:
        return None
    return Nudge(NudgeKind.ONBOARDING_UNFINISHED, f"n:{f.id}:onb:{stamp(f.last_active_at)}",
                 f.last_active_at + _hours(cfg.thresholds.onboarding_unfinished_hours),
                 f"onboarding unfinished (at {f.state}) since last activity",
                 Priority.ONBOARDING_UNFINISHED, expires_at=_superseded_at(f, cfg))


def stalled(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Nudge | None:
    """Stopped in the middle of a module: a warm reminder with a Continue button."""
    if f.state != "module" or not f.module_id:
        return None
    return Nudge(NudgeKind.STALLED,
                 f"n:{f.id}:stall:{f.module_id}:{f.step_id}:{stamp(f.last_active_at)}",
                 f.last_active_at + _hours(cfg.thresholds.stalled_hours),
                 f"stalled in module {f.module_id} at step {f.step_id}", Priority.STALLED,
                 expires_at=_superseded_at(f, cfg), module_id=f.module_id)


def module_finished(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Nudge | None:
    """Just finished a module and went quiet: suggest the next one."""
    if not f.finished_module or f.state != "menu" or not _since_last_activity(f.finished_at, f):
        return None
    nxt = cfg.next_module.get(f.finished_module)
    if nxt is None or nxt in f.started_modules:
        return None
    assert f.finished_at is not None
    return Nudge(NudgeKind.MODULE_FINISHED, f"n:{f.id}:mfin:{f.finished_module}",
                 f.finished_at + _hours(cfg.thresholds.module_finished_hours),
                 f"finished module {f.finished_module}; {nxt} not started",
                 Priority.MODULE_FINISHED, expires_at=_superseded_at(f, cfg),
                 module_id=f.finished_module, next_module=nxt)


def quiz_failed(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Nudge | None:
    """Failed a quiz and went quiet: the next day, encourage a retake."""
    if (not f.failed_quiz or f.failed_attempt_id is None or f.state == "quiz"
            or not _since_last_activity(f.failed_at, f)):
        return None
    assert f.failed_at is not None
    return Nudge(NudgeKind.QUIZ_FAILED, f"n:{f.id}:quiz:{f.failed_attempt_id}",
                 f.failed_at + _hours(cfg.thresholds.quiz_failed_hours),
                 f"failed quiz {f.failed_quiz} (attempt {f.failed_attempt_id})",
                 Priority.QUIZ_FAILED, expires_at=_superseded_at(f, cfg),
                 quiz_id=f.failed_quiz, attempt_id=f.failed_attempt_id)


def inactive(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Nudge | None:
    """Away for a week: one reflective check-in per quiet spell."""
    if f.onboarded_at is None:
        return None
    days = cfg.thresholds.inactive_days
    return Nudge(NudgeKind.INACTIVE, f"n:{f.id}:idle:{stamp(f.last_active_at)}",
                 f.last_active_at + timedelta(days=days),
                 f"no activity for {days:g} days", Priority.INACTIVE)


def next_twin_date(day: date) -> date:
    """The first twin date (1.1, 2.2, … 12.12) on or after `day`."""
    for year in (day.year, day.year + 1):
        for month in range(1, 13):
            twin = date(year, month, month)
            if twin >= day:
                return twin
    raise AssertionError("unreachable")


def next_payday(day: date) -> date:
    if day.day <= PAYDAY:
        return day.replace(day=PAYDAY)
    return (day.replace(day=1) + timedelta(days=32)).replace(day=PAYDAY)


def _calendar(kind: NudgeKind, event: date, f: PartnerFacts, cfg: RuleConfig) -> Nudge:
    tz = zone(f.timezone)
    eve = event - timedelta(days=1)
    due = datetime.combine(eve, time(cfg.calendar_hour), tzinfo=tz).astimezone(UTC)
    code = "twin" if kind is NudgeKind.TWIN_DATE else "payday"
    return Nudge(kind, f"n:{f.id}:{code}:{event.isoformat()}", due,
                 f"{'twin date' if kind is NudgeKind.TWIN_DATE else 'payday'} "
                 f"{event.isoformat()} tomorrow; promotion module done",
                 Priority.TWIN_DATE if kind is NudgeKind.TWIN_DATE else Priority.PAYDAY,
                 expires_at=datetime.combine(event, time(0), tzinfo=tz).astimezone(UTC),
                 event_date=event)


def calendar(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> list[Nudge]:
    """The next twin date and payday tips, the day before, for partners ready to promote."""
    if not f.promotion_done:
        return []
    tomorrow = now.astimezone(zone(f.timezone)).date() + timedelta(days=1)
    return [_calendar(NudgeKind.TWIN_DATE, next_twin_date(tomorrow), f, cfg),
            _calendar(NudgeKind.PAYDAY, next_payday(tomorrow), f, cfg)]


Rule = Callable[[PartnerFacts, RuleConfig, datetime], "Nudge | None"]
RULES: tuple[Rule, ...] = (quiz_failed, module_finished, stalled, onboarding_unfinished,
                           inactive)


def candidates(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> list[Nudge]:
    """Every nudge the rules propose for this partner, soonest (then most specific) first."""
    found = [n for rule in RULES if (n := rule(f, cfg, now)) is not None]
    found += calendar(f, cfg, now)
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
