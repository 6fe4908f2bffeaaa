"""Nudge rules and quiet hours as pure functions of a partner's facts and a fixed time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from content.schema import NudgeKind
from handlers.learning.nudges import facts, next_payday, next_twin_date, rules
from handlers.onboarding.nudges import onboarding_unfinished
from scheduler.nudging import (
    PartnerFacts,
    QuietHours,
    RuleConfig,
    candidates,
    choose,
    place,
    still_valid,
    zone,
)

# the example pack: basics, then promo, the promotion module; learning's and onboarding's rules
CFG = RuleConfig(rules=(*rules({"basics": "promo", "promo": None}), onboarding_unfinished))
WIB, WIT = zone("Asia/Jakarta"), zone("Asia/Jayapura")


def at(day: int, hour: int, minute: int = 0, tz: object = WIB) -> datetime:
    """A moment in November 2026, local to `tz`, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]


def sari(**kw: object) -> PartnerFacts:
    base: dict[str, object] = dict(id=7, state="menu", last_active_at=at(2, 10),
                                   onboarded_at=at(1, 9), timezone="Asia/Jakarta")
    base.update(kw)
    return facts(**base)  # type: ignore[arg-type]


def test_quiet_hours_wrap_midnight_and_move_to_the_morning() -> None:
    quiet = QuietHours.parse("21:00-08:00")
    assert quiet is not None
    assert quiet.contains(time(22)) and quiet.contains(time(3)) and not quiet.contains(time(8))
    assert quiet.next_allowed(at(2, 22, 30), WIB) == at(3, 8)
    assert quiet.next_allowed(at(3, 6), WIB) == at(3, 8)
    assert quiet.next_allowed(at(3, 12), WIB) == at(3, 12)
    assert QuietHours.parse("off") is None


def test_quiet_hours_are_the_partners_own_clock() -> None:
    # 21:30 in Jakarta is 23:30 in Jayapura: both quiet, but each wakes at its own 08:00
    moment = at(2, 21, 30)
    quiet = CFG.quiet
    assert quiet is not None
    assert quiet.next_allowed(moment, WIB) == at(3, 8)
    assert quiet.next_allowed(moment, WIT) == at(3, 8, tz=WIT)
    assert at(3, 8, tz=WIT) < at(3, 8)


def test_stalled_mid_module_gets_a_reminder_a_day_later() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 10))
    assert choose(f, CFG, at(3, 9, 54)) is None
    placed = choose(f, CFG, at(3, 10))
    assert placed is not None and placed.nudge.kind is NudgeKind.STALLED
    assert placed.due_at == at(3, 10)
    assert placed.nudge.module_id == "basics"


def test_a_nudge_due_at_night_waits_for_the_morning() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 22, 15))
    placed = choose(f, CFG, at(3, 22, 15))
    assert placed is not None and placed.due_at == at(4, 8)


def test_module_finished_suggests_the_next_after_an_hour_unless_it_was_started() -> None:
    f = sari(finished_module="basics", finished_at=at(2, 10), last_active_at=at(2, 10),
             started_modules=frozenset({"basics"}))
    placed = choose(f, CFG, at(2, 11))
    assert placed is not None and placed.nudge.kind is NudgeKind.MODULE_FINISHED
    assert placed.nudge.next_module == "promo"
    started = sari(finished_module="basics", finished_at=at(2, 10), last_active_at=at(2, 10),
                   started_modules=frozenset({"basics", "promo"}))
    kinds = [n.kind for n in candidates(started, CFG, at(2, 11))]
    assert NudgeKind.MODULE_FINISHED not in kinds


def test_quiz_failed_encourages_a_retake_the_next_day() -> None:
    f = sari(failed_quiz="basics", failed_attempt_id=3, failed_at=at(2, 15),
             last_active_at=at(2, 15))
    assert choose(f, CFG, at(3, 10)) is None
    placed = choose(f, CFG, at(3, 11))
    assert placed is not None and placed.nudge.kind is NudgeKind.QUIZ_FAILED
    assert placed.nudge.key == "n:7:quiz:3"


def test_onboarding_unfinished_after_two_hours() -> None:
    f = sari(state="onboard_name", onboarded_at=None, last_active_at=at(2, 10))
    placed = choose(f, CFG, at(2, 12))
    assert placed is not None and placed.nudge.kind is NudgeKind.ONBOARDING_UNFINISHED


def test_a_week_of_silence_gets_one_reflective_check_in() -> None:
    f = sari(last_active_at=at(2, 10))
    placed = choose(f, CFG, at(9, 10))
    assert placed is not None and placed.nudge.kind is NudgeKind.INACTIVE
    assert choose(f, CFG, at(9, 10), known_keys=[placed.nudge.key]) is None


def test_calendar_tips_come_the_day_before_twin_dates_and_payday() -> None:
    assert next_twin_date(date(2026, 11, 2)) == date(2026, 11, 11)
    assert next_twin_date(date(2026, 12, 13)) == date(2027, 1, 1)
    assert next_payday(date(2026, 11, 26)) == date(2026, 12, 25)
    f = sari(promotion_done=True, last_active_at=at(9, 20))
    placed = choose(f, CFG, at(10, 9))
    assert placed is None  # the tip is for 10:00 local on the eve
    placed = choose(f, CFG, at(10, 10))
    assert placed is not None and placed.nudge.kind is NudgeKind.TWIN_DATE
    assert placed.nudge.key == "n:7:twin:2026-11-11"
    assert not still_valid(placed.nudge.key, f, CFG, at(11, 0, 1))  # too late: the day came
    assert choose(sari(last_active_at=at(9, 20)), CFG, at(10, 10)) is None  # not ready yet


def test_one_nudge_per_local_day_pushes_the_next_to_tomorrow_morning() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 10))
    placed = choose(f, CFG, at(3, 10), nudge_days={date(2026, 11, 3): 1})
    assert placed is not None and placed.due_at == at(4, 8)


def test_nothing_new_while_a_nudge_is_still_waiting() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 10))
    assert choose(f, CFG, at(3, 10), has_pending=True) is None


def test_a_nudge_whose_reason_is_gone_is_no_longer_valid() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 10))
    key = candidates(f, CFG, at(3, 10))[0].key
    assert still_valid(key, f, CFG, at(3, 10))
    went_on = sari(state="module", module_id="basics", step_id="s3",
                   last_active_at=at(3, 9))
    assert not still_valid(key, went_on, CFG, at(3, 10))


def test_a_stale_reminder_expires_once_the_week_check_in_takes_over() -> None:
    f = sari(state="module", module_id="basics", step_id="s2", last_active_at=at(2, 10))
    stalled = next(n for n in candidates(f, CFG, at(3, 10)) if n.kind is NudgeKind.STALLED)
    assert place(stalled, f, CFG, at(9, 11)) is None
    placed = choose(f, CFG, at(9, 11))
    assert placed is not None and placed.nudge.kind is NudgeKind.INACTIVE


def test_unknown_time_zone_falls_back_to_jakarta() -> None:
    assert zone("Mars/Olympus") == WIB
    assert zone(None) == WIB
    assert (at(2, 10) - timedelta(hours=0)).tzinfo is UTC
