"""Learning's nudges: stalled mid-module, a module finished, a quiz failed, a quiet week, and
promotion tips before twin dates and payday — the rules, the facts they read, their SQL
pre-filters and how each looks. Handed to the planner through `Learning.nudges()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, String, Table, exists, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Button, Reply
from bot.core.i18n import fill
from bot.core.timezones import zone
from bot.storage.models import Partner
from content.loader import Pack, PackLibrary
from content.schema import NudgeKind
from handlers.kit.nudges import Buttons, Shared, nudge_parts
from handlers.learning.buttons import MenuButton, QuizButton
from handlers.learning.models import ModuleProgress, QuizAnswer, QuizAttempt
from handlers.learning.states import LearningState
from handlers.optout.buttons import CONTINUE
from scheduler.nudging import (
    SAME_EPISODE,
    Nudge,
    PartnerFacts,
    Placed,
    PlanQuery,
    Rule,
    RuleConfig,
    Target,
    stamp,
)
from scheduler.planner import PAYDAY, among

PT = cast(Table, Partner.__table__).c
MP = cast(Table, ModuleProgress.__table__).c
QA = cast(Table, QuizAttempt.__table__).c
QN = cast(Table, QuizAnswer.__table__).c
NAME = "learning"


class Priority:
    """Tie-break among nudges due at the same moment: the most specific reason wins
    (onboarding's own is 3)."""

    QUIZ_FAILED = 0
    MODULE_FINISHED = 1
    STALLED = 2
    TWIN_DATE = 4
    PAYDAY = 5
    INACTIVE = 6


@dataclass(frozen=True, slots=True)
class LearningFacts:
    """What learning's rules read beyond the partner's own columns."""

    # the latest module finished, when it was, and every module ever started
    finished_module: str | None = None
    finished_at: datetime | None = None
    started_modules: frozenset[str] = frozenset()
    # the latest finished quiz attempt when it failed and no newer attempt of that quiz exists
    failed_quiz: str | None = None
    failed_attempt_id: int | None = None
    failed_at: datetime | None = None
    promotion_done: bool = False


NONE = LearningFacts()


def learned(f: PartnerFacts) -> LearningFacts:
    found = f.extra.get(NAME)
    return found if isinstance(found, LearningFacts) else NONE


def facts(id: int, state: str, last_active_at: datetime, *, timezone: str = "Asia/Jakarta",
          module_id: str | None = None, step_id: str | None = None,
          onboarded_at: datetime | None = None, **learning: Any) -> PartnerFacts:
    """A partner's facts with learning's part (for tests and previews)."""
    return PartnerFacts(id, state, last_active_at, timezone, module_id, step_id, onboarded_at,
                        extra={NAME: LearningFacts(**learning)})


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _since_last_activity(event_at: datetime | None, f: PartnerFacts) -> bool:
    """True when the event was the partner's last move (nothing happened after it)."""
    return event_at is not None and event_at >= f.last_active_at - SAME_EPISODE


def _superseded_at(f: PartnerFacts, cfg: RuleConfig) -> datetime:
    # once the partner has been away for the inactive threshold, the check-in replaces the rest
    return f.last_active_at + timedelta(days=cfg.thresholds.inactive_days)


def stalled(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """Stopped in the middle of a module: a warm reminder with a Continue button."""
    if f.state != LearningState.MODULE or not f.module_id:
        return ()
    return (Nudge(NudgeKind.STALLED,
                  f"n:{f.id}:stall:{f.module_id}:{f.step_id}:{stamp(f.last_active_at)}",
                  f.last_active_at + _hours(cfg.thresholds.stalled_hours),
                  f"stalled in module {f.module_id} at step {f.step_id}", Priority.STALLED,
                  expires_at=_superseded_at(f, cfg), module_id=f.module_id),)


def module_finished(next_module: Mapping[str, str | None]) -> Rule:
    def rule(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
        """Just finished a module and went quiet: suggest the next one."""
        lf = learned(f)
        if (not lf.finished_module or f.state != LearningState.MENU
                or not _since_last_activity(lf.finished_at, f)):
            return ()
        nxt = next_module.get(lf.finished_module)
        if nxt is None or nxt in lf.started_modules:
            return ()
        assert lf.finished_at is not None
        return (Nudge(NudgeKind.MODULE_FINISHED, f"n:{f.id}:mfin:{lf.finished_module}",
                      lf.finished_at + _hours(cfg.thresholds.module_finished_hours),
                      f"finished module {lf.finished_module}; {nxt} not started",
                      Priority.MODULE_FINISHED, expires_at=_superseded_at(f, cfg),
                      module_id=lf.finished_module, next_module=nxt),)
    return rule


def quiz_failed(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """Failed a quiz and went quiet: the next day, encourage a retake."""
    lf = learned(f)
    if (not lf.failed_quiz or lf.failed_attempt_id is None or f.state == LearningState.QUIZ
            or not _since_last_activity(lf.failed_at, f)):
        return ()
    assert lf.failed_at is not None
    return (Nudge(NudgeKind.QUIZ_FAILED, f"n:{f.id}:quiz:{lf.failed_attempt_id}",
                  lf.failed_at + _hours(cfg.thresholds.quiz_failed_hours),
                  f"failed quiz {lf.failed_quiz} (attempt {lf.failed_attempt_id})",
                  Priority.QUIZ_FAILED, expires_at=_superseded_at(f, cfg),
                  quiz_id=lf.failed_quiz, attempt_id=lf.failed_attempt_id),)


def inactive(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """Away for a week: one reflective check-in per quiet spell."""
    if f.onboarded_at is None:
        return ()
    days = cfg.thresholds.inactive_days
    return (Nudge(NudgeKind.INACTIVE, f"n:{f.id}:idle:{stamp(f.last_active_at)}",
                  f.last_active_at + timedelta(days=days),
                  f"no activity for {days:g} days", Priority.INACTIVE),)


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


def calendar(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """The next twin date and payday tips, the day before, for partners ready to promote."""
    if not learned(f).promotion_done:
        return ()
    tomorrow = now.astimezone(zone(f.timezone)).date() + timedelta(days=1)
    return (_calendar(NudgeKind.TWIN_DATE, next_twin_date(tomorrow), f, cfg),
            _calendar(NudgeKind.PAYDAY, next_payday(tomorrow), f, cfg))


def rules(next_module: Mapping[str, str | None]) -> tuple[Rule, ...]:
    """Learning's rules for a pack whose modules follow each other as in `next_module`."""
    return (quiz_failed, module_finished(next_module), stalled, inactive, calendar)


def topics_for(pack: Pack, quiz_id: str | None, missed_question_ids: Sequence[str],
               lang: str) -> list[str]:
    """What to review: the topics of the missed questions, each once, in quiz order."""
    quiz = pack.quiz(quiz_id or "")
    if quiz is None:
        return []
    missed = set(missed_question_ids)
    out: list[str] = []
    for q in quiz.questions:
        if q.id in missed and q.topic is not None:
            topic = q.topic.get(lang)
            if topic not in out:
                out.append(topic)
    return out


def _title(pack: Pack, module_id: str | None, lang: str) -> str:
    module = pack.modules.get(module_id or "")
    return module.title.get(lang) if module else (module_id or "")


def render_nudge(n: Nudge, pack: Pack, library: PackLibrary, *, lang: str, name: str | None,
                 topics: Sequence[str] = (), shared: Shared | None = None) -> Reply:
    """The nudge in `lang`; `shared` keeps what nudges of the same reason share (all but the
    name and the topics) for the next ones."""
    key = (pack.id, lang, n.kind, n.next_module, n.quiz_id, n.module_id, n.event_date)
    template, friend, buttons, values = (
        shared or Shared()).get(key, lambda: _nudge_parts(n, pack, library, lang))
    listed = ", ".join(topics)
    if not listed:
        listed = (shared or Shared()).get((pack.id, lang, "topics"), lambda: library.t(
            pack, lang, "nudge_topics_fallback"))
    return Reply(fill(template, name=name or friend, topics=listed, **values), buttons)


def _nudge_parts(n: Nudge, pack: Pack, library: PackLibrary,
                 lang: str) -> tuple[str, str, Buttons, dict[str, str]]:
    def t(key: str, **kw: Any) -> str:
        return library.t(pack, lang, key, **kw)

    date_text = f"{n.event_date.day}.{n.event_date.month}" if n.event_date is not None else ""
    next_title = _title(pack, n.next_module, lang)
    if n.kind == NudgeKind.MODULE_FINISHED and n.next_module:
        main: Button = MenuButton("open", n.next_module).button(
            t("nudge_btn_next_module", module=next_title)[:60])
    elif n.kind == NudgeKind.QUIZ_FAILED and n.quiz_id:
        main = QuizButton("start", n.quiz_id).button(t("nudge_btn_retake"))
    elif n.kind == NudgeKind.STALLED:
        main = CONTINUE.button(t("nudge_btn_continue"))
    else:
        main = CONTINUE.button(t("nudge_btn_menu"))
    return (*nudge_parts(n.kind, pack, library, lang, main),
            {"module": _title(pack, n.module_id, lang), "next_module": next_title,
             "date": date_text})


@dataclass
class LearningNudges:
    """The planner's view of learning's nudges."""

    name: str = NAME
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({
        NudgeKind.STALLED, NudgeKind.MODULE_FINISHED, NudgeKind.QUIZ_FAILED,
        NudgeKind.INACTIVE, NudgeKind.TWIN_DATE, NudgeKind.PAYDAY}))

    def rules(self, pack: Pack) -> Sequence[Rule]:
        order = pack.module_order
        return rules({m: (order[i + 1] if i + 1 < len(order) else None)
                      for i, m in enumerate(order)})

    @staticmethod
    def _promotion_modules(q: PlanQuery) -> list[str]:
        return sorted({p.meta.promotion_module for p in q.packs if p.meta.promotion_module})

    def relevant(self, q: PlanQuery) -> Sequence[ColumnElement[bool]]:
        promo = self._promotion_modules(q)
        if not (q.calendar and promo):
            return ()
        return (PT.id.in_(select(MP.partner_id).where(
            MP.module_id.in_(promo), MP.completed_at.is_not(None))),)

    def candidates(self, q: PlanQuery) -> Sequence[Select[Any]]:
        soonest, _ = q.idle
        ahead, now = q.lookahead, q.now
        la = PT.last_active_at
        stamp_ = q.stamp(la)
        mfin_due = now - q.soonest["module_finished_hours"] + ahead
        quiz_due = now - q.soonest["quiz_failed_hours"] + ahead
        kinds: list[Select[Any]] = [
            select(PT.id).where(  # stalled mid-module
                *q.base, q.in_window, q.not_expired, PT.state == LearningState.MODULE.value,
                PT.module_id.is_not(None), la <= now - q.soonest["stalled_hours"] + ahead,
                q.unknown(q.key(PT.id, ":stall:", PT.module_id, ":",
                                func.coalesce(PT.step_id, "None"), ":", stamp_))),
            select(PT.id).where(  # module finished
                *q.base, q.in_window, q.not_expired, PT.state == LearningState.MENU.value,
                exists().where(MP.partner_id == PT.id, MP.completed_at.is_not(None),
                               MP.completed_at <= mfin_due, MP.completed_at >= q.episode,
                               q.unknown(q.key(MP.partner_id, ":mfin:", MP.module_id)))),
            select(PT.id).where(  # quiz failed
                *q.base, q.in_window, q.not_expired, PT.state != LearningState.QUIZ.value,
                exists().where(QA.partner_id == PT.id, QA.passed.is_(False),
                               QA.finished_at.is_not(None), QA.finished_at <= quiz_due,
                               QA.finished_at >= q.episode,
                               q.unknown(q.key(QA.partner_id, ":quiz:",
                                               sql_cast(QA.id, String))))),
            select(PT.id).where(  # inactive for a while (never expires)
                *q.base, q.in_window, PT.onboarded_at.is_not(None), la <= now - soonest + ahead,
                q.unknown(q.key(PT.id, ":idle:", stamp_))),
        ]
        promo = self._promotion_modules(q)
        if q.calendar and promo:
            kinds.append(select(PT.id).where(  # twin date / payday eve: promotion done
                *q.base[:3], exists().where(MP.partner_id == PT.id, MP.module_id.in_(promo),
                                            MP.completed_at.is_not(None))))
        return kinds

    def changed(self, q: PlanQuery, since: datetime) -> Sequence[Select[Any]]:
        return ()  # progress and quiz attempts change only in the partner's own turns

    async def load(self, s: AsyncSession, facts: Mapping[int, PartnerFacts],
                   q: PlanQuery) -> Mapping[int, LearningFacts]:
        # activity older than this only feeds the inactive check-in (the rest is superseded)
        cutoff = q.now - q.idle[1] - timedelta(days=1)
        recent_ids = [pid for pid, f in facts.items() if f.last_active_at >= cutoff]
        progress: dict[int, list[tuple[str, datetime | None]]] = defaultdict(list)
        attempts: dict[int, list[tuple[int, str, datetime | None, bool | None]]] = (
            defaultdict(list))
        if recent_ids:
            rows = await s.execute(select(MP.partner_id, MP.module_id, MP.completed_at)
                                   .where(among(MP.partner_id, recent_ids, q.dialect)))
            for pid, mid, completed_at in rows.all():
                progress[pid].append((mid, completed_at))
            tries_q = await s.execute(
                select(QA.partner_id, QA.id, QA.quiz_id, QA.finished_at, QA.passed)
                .where(among(QA.partner_id, recent_ids, q.dialect)))
            for pid, aid, quiz_id, finished_at, passed in tries_q.all():
                attempts[pid].append((aid, quiz_id, finished_at, passed))
        promo_done: set[int] = set()
        promo = self._promotion_modules(q)
        if q.calendar and promo:
            promo_q = await s.execute(
                select(MP.partner_id, MP.module_id)
                .where(among(MP.partner_id, list(facts), q.dialect), MP.module_id.in_(promo),
                       MP.completed_at.is_not(None)))
            assert q.pack_of is not None
            for pid, mid in promo_q.all():
                f = facts.get(pid)
                if f is not None and q.pack_of(f.pack_id).meta.promotion_module == mid:
                    promo_done.add(pid)
        out: dict[int, LearningFacts] = {}
        for pid in set(progress) | set(attempts) | promo_done:
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
                newer = any(a > aid and qz == quiz for a, qz, _, _ in tries)
                if ok is False and not newer:
                    extra.update(failed_quiz=quiz, failed_attempt_id=aid, failed_at=fin)
            out[pid] = LearningFacts(**extra)
        return out

    async def render(self, s: AsyncSession, chosen: Sequence[tuple[Target, Placed]],
                     library: PackLibrary, pack_of: Callable[[str], Pack]) -> list[Reply]:
        attempt_ids = [p.nudge.attempt_id for _, p in chosen if p.nudge.attempt_id is not None]
        missed: dict[int, list[str]] = defaultdict(list)
        if attempt_ids:
            rows = await s.execute(
                select(QN.attempt_id, QN.question_id)
                .where(QN.attempt_id.in_(attempt_ids), QN.correct.is_(False)))
            for aid, qid in rows.all():
                missed[aid].append(qid)
        out = []
        shared = Shared()
        for target, p in chosen:
            pack = pack_of(target.pack_id)
            topics = topics_for(pack, p.nudge.quiz_id, missed.get(p.nudge.attempt_id or 0, []),
                                target.language)
            out.append(render_nudge(p.nudge, pack, library, lang=target.language,
                                    name=target.name, topics=topics, shared=shared))
        return out
