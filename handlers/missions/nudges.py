"""Missions' nudges: a new mission, a reminder before its deadline, a kind check-in after it,
and one-question reviews of missed quiz questions after 1, 3 and 7 days. Placed by the
planner like every nudge (time zone, quiet hours, daily cap), each with a key naming its
reason, so a proof sent or a review answered cancels what was planned for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Select, String, Table, and_, exists, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Button, Reply, rows
from bot.core.i18n import fill
from bot.core.timezones import zone
from bot.storage.models import Partner
from content.loader import Pack, PackLibrary
from content.missions import Mission
from handlers.kit.nudges import Buttons, Shared
from handlers.learning.models import ModuleProgress
from handlers.missions.buttons import MissionButton, ReviewAnswerButton
from handlers.missions.chat import LETTERS, day_text
from handlers.missions.models import MissionSubmission, ReviewItem
from handlers.missions.plan import (
    Review,
    deadline_from,
    local,
    unlock_windows,
)
from handlers.optout.buttons import ASK_STOP
from scheduler.nudging import (
    Nudge,
    PartnerFacts,
    Placed,
    PlanQuery,
    Rule,
    RuleConfig,
    Target,
    stamp,
)
from scheduler.planner import among

PT_T = cast(Table, Partner.__table__)
PT = PT_T.c
MP_T = cast(Table, ModuleProgress.__table__)
MP = MP_T.c
MS = cast(Table, MissionSubmission.__table__).c
RI_T = cast(Table, ReviewItem.__table__)
RI = RI_T.c
NAME = "missions"
NEW, REMINDER, CHECKIN, REVIEW = ("mission_new", "mission_reminder", "mission_checkin",
                                  "quiz_review")
# a mission's nudges end a week after its deadline; deadlines are at most 90 days out
HORIZON = timedelta(days=100)
CHECKIN_FOR = timedelta(days=7)
NEW_AFTER = timedelta(minutes=10)  # after the module's own closing words
NEW_FOR = timedelta(days=2)  # news stays news this long
HOUR = 10  # local hour of reminders and check-ins


class Priority:
    NEW = 1
    REMINDER = 1
    CHECKIN = 2
    REVIEW = 5


@dataclass(frozen=True, slots=True)
class MissionFacts:
    finished: dict[str, datetime] = field(default_factory=dict)
    # each mission's latest submission status
    latest: dict[str, str] = field(default_factory=dict)
    # review items not mastered: (item id, box, due at)
    reviews: tuple[tuple[int, int, datetime], ...] = ()


NONE = MissionFacts()


class _Moments(NamedTuple):
    """A mission's deadline day for one unlock day and zone, and what follows from it."""

    day: date
    due: datetime  # the end of the deadline day
    remind_at: datetime
    checkin: datetime
    due_reason: str
    late_reason: str


def facts_of(f: PartnerFacts) -> MissionFacts:
    found = f.extra.get(NAME)
    return found if isinstance(found, MissionFacts) else NONE


def mission_of(key: str) -> str:
    """The mission a mission nudge's key names (`n:<partner>:<what>:<mission>`)."""
    return key.rsplit(":", 1)[-1]


def mission_rule(missions: Sequence[Mission]) -> Rule:
    listed = list(missions)
    opens_at_start = any(m.after is None for m in listed)
    # per (mission, local unlock day, zone): the deadline day, the moments derived from it and
    # the reasons naming it. Partners unlocking on the same day share them, and this date
    # arithmetic in time zones was most of the rule's cost in a backlog pass.
    moments: dict[tuple[int, date, str], _Moments] = {}

    def when(k: int, m: Mission, at: datetime, tz: str) -> _Moments:
        start = at.astimezone(zone(tz)).date()
        found = moments.get((k, start, tz))
        if found is None:
            if len(moments) > 10_000:  # a long-running process: keep it small
                moments.clear()
            day = deadline_from(m, start)
            found = moments[(k, start, tz)] = _Moments(
                day, local(day + timedelta(days=1), 0, tz),
                local(day - timedelta(days=1), HOUR, tz), local(day + timedelta(days=1), HOUR, tz),
                f"mission {m.id} due {day.isoformat()}",
                f"mission {m.id} past its deadline {day.isoformat()}")
        return found

    def rule(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
        """A mission just unlocked; its deadline tomorrow; its deadline passed with nothing
        sent (a check-in asking what got in the way)."""
        mf = facts_of(f)
        if not mf.finished and not opens_at_start:
            return ()
        out: list[Nudge] = []
        announced: set[str | None] = set()  # one "new mission" per module finished
        for k, m in enumerate(listed):
            at = mf.finished.get(m.after) if m.after else f.onboarded_at
            if at is None:  # not unlocked (see plan.unlocked)
                continue
            status = mf.latest.get(m.id)
            if status in (Review.WAITING, Review.APPROVED):
                continue
            w = when(k, m, at, f.timezone)
            if status is None and at + NEW_AFTER < w.remind_at and m.after not in announced:
                announced.add(m.after)
                out.append(Nudge(NEW, f"n:{f.id}:mnew:{m.id}", at + NEW_AFTER,
                                 f"mission {m.id} unlocked", Priority.NEW,
                                 expires_at=min(w.remind_at, at + NEW_AFTER + NEW_FOR),
                                 event_date=w.day))
            out.append(Nudge(REMINDER, f"n:{f.id}:mrem:{m.id}", w.remind_at, w.due_reason,
                             Priority.REMINDER, expires_at=w.due, event_date=w.day))
            out.append(Nudge(CHECKIN, f"n:{f.id}:mchk:{m.id}", w.checkin, w.late_reason,
                             Priority.CHECKIN, expires_at=w.due + CHECKIN_FOR,
                             event_date=w.day))
        return out
    return rule


def review_rule(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """A missed quiz question due for its next review."""
    # the due time in the key: a question missed again comes back under a new key
    return [Nudge(REVIEW, f"n:{f.id}:rev:{item}:{box}:{stamp(due)}", due,
                  f"review item {item} box {box}", Priority.REVIEW, attempt_id=item)
            for item, box, due in facts_of(f).reviews]


def _stop(library: PackLibrary, pack: Pack, lang: str) -> Button:
    return ASK_STOP.button(library.t(pack, lang, "nudge_btn_stop"))


@dataclass
class MissionNudges:
    """The planner's view of missions' nudges."""

    name: str = NAME
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({NEW, REMINDER, CHECKIN,
                                                                    REVIEW}))

    def rules(self, pack: Pack) -> Sequence[Rule]:
        missions = list(pack.missions.values())
        return (mission_rule(missions), review_rule) if missions else (review_rule,)

    def relevant(self, q: PlanQuery) -> Sequence[ColumnElement[bool]]:
        return (PT.id.in_(select(RI.partner_id).where(RI.mastered.is_(False))),
                *self._unlocking(q))

    @staticmethod
    def _after(q: PlanQuery) -> dict[str, set[str]]:
        """The missions each module unlocks, over the packs."""
        out: dict[str, set[str]] = defaultdict(set)
        for pack in q.packs:
            for m in pack.missions.values():
                if m.after:
                    out[m.after].add(m.id)
        return out

    def _unlocking(self, q: PlanQuery) -> list[ColumnElement[bool]]:
        after = self._after(q)
        if not after:
            return []
        return [PT.id.in_(select(MP.partner_id).where(
            MP.module_id.in_(sorted(after)), MP.completed_at.is_not(None),
            MP.completed_at >= q.now - HORIZON))]

    def candidates(self, q: PlanQuery) -> Sequence[Select[Any]]:
        # driven by the review items due (an index on mastered, due_at), not by partners
        out: list[Select[Any]] = [
            select(RI.partner_id).select_from(RI_T.join(PT_T, PT.id == RI.partner_id)).where(
                *q.base, RI.mastered.is_(False), RI.due_at <= q.now + q.lookahead,
                q.unknown(q.key(RI.partner_id, ":rev:", sql_cast(RI.id, String), ":",
                                sql_cast(RI.box, String), ":", q.stamp(RI.due_at))))]
        today = q.now.date()
        seen: set[tuple[str, str, str]] = set()
        for pack in q.packs:
            for m in pack.missions.values():
                sig = (m.after or "", m.id, m.due.model_dump_json())
                if m.after and sig not in seen:  # one branch set per distinct mission
                    seen.add(sig)
                    out += self._mission_branches(q, m.after, m, today)
        return out

    @staticmethod
    def _mission_branches(q: PlanQuery, module: str, m: Mission,
                          today: date) -> list[Select[Any]]:
        """Per nudge of the mission, the partners whose unlock puts it due now: the new
        mission within its two days, the reminder with the deadline one or two days ahead,
        the check-in with the deadline up to a week behind (each a superset: the rules
        decide)."""
        pending = ~exists().where(MS.partner_id == MP.partner_id, MS.mission_id == m.id,
                                  MS.status.in_((Review.WAITING.value, Review.APPROVED.value)))

        def unlocked_in(*windows: tuple[datetime, datetime]) -> Select[Any]:
            # driven by the modules finished in the windows (ix_module_progress_completed)
            return select(MP.partner_id).select_from(
                MP_T.join(PT_T, PT.id == MP.partner_id)).where(
                *q.base, MP.module_id == module, pending,
                or_(*(and_(MP.completed_at >= lo, MP.completed_at < hi)
                      for lo, hi in windows)))

        out = [unlocked_in((q.now - NEW_FOR - NEW_AFTER, q.now + q.lookahead)).where(
            q.unknown(q.key(MP.partner_id, f":mnew:{m.id}")))]
        for what, days in (("mrem", (today - timedelta(days=1), today + timedelta(days=2))),
                           ("mchk", (today - timedelta(days=9), today + timedelta(days=1)))):
            windows = unlock_windows(m, days)
            if windows:
                out.append(unlocked_in(*windows).where(
                    q.unknown(q.key(MP.partner_id, f":{what}:{m.id}"))))
        return out

    def changed(self, q: PlanQuery, since: datetime) -> Sequence[Select[Any]]:
        # made outside the partner's own turns: a coach's verdict on a proof, and the review
        # items the scheduler's sync adds for questions missed in a quiz
        return (select(MS.partner_id).where(MS.reviewed_at >= since),
                select(RI.partner_id).where(RI.updated_at >= since))

    async def load(self, s: AsyncSession, facts: Mapping[int, PartnerFacts],
                   q: PlanQuery) -> Mapping[int, MissionFacts]:
        ids = list(facts)
        finished: dict[int, dict[str, datetime]] = defaultdict(dict)
        latest: dict[int, dict[str, str]] = defaultdict(dict)
        reviews: dict[int, list[tuple[int, int, datetime]]] = defaultdict(list)
        after = sorted(self._after(q))
        if after:
            rows = await s.execute(select(MP.partner_id, MP.module_id, MP.completed_at).where(
                among(MP.partner_id, ids, q.dialect), MP.module_id.in_(after),
                MP.completed_at.is_not(None)))
            for pid, mid, at in rows.all():
                finished[pid][mid] = at
            # only the partner ids in the condition: the index on them is the one to use
            subs = await s.execute(select(MS.id, MS.partner_id, MS.mission_id, MS.status)
                                   .where(among(MS.partner_id, ids, q.dialect)))
            for _, pid, mission, status in sorted(subs.all()):
                if status != Review.DRAFT.value:
                    latest[pid][mission] = status
        items = await s.execute(select(RI.partner_id, RI.id, RI.box, RI.due_at, RI.mastered)
                                .where(among(RI.partner_id, ids, q.dialect)))
        for pid, iid, box, due, mastered in items.all():
            if not mastered:
                reviews[pid].append((iid, box, due))
        return {pid: MissionFacts(finished.get(pid, {}), latest.get(pid, {}),
                                  tuple(reviews.get(pid, ())))
                for pid in set(finished) | set(latest) | set(reviews)}

    async def render(self, s: AsyncSession, chosen: Sequence[tuple[Target, Placed]],
                     library: PackLibrary, pack_of: Callable[[str], Pack]) -> list[Reply]:
        item_ids = [p.nudge.attempt_id for _, p in chosen if p.nudge.kind == REVIEW]
        items: dict[int, tuple[str, str]] = {}
        if item_ids:
            rows = await s.execute(select(RI.id, RI.quiz_id, RI.question_id).where(
                RI.id.in_(item_ids)))
            items = {iid: (quiz, question) for iid, quiz, question in rows.all()}
        out = []
        shared = Shared()
        for target, p in chosen:
            pack = pack_of(target.pack_id)
            lang = target.language
            name = target.name or shared.get((pack.id, lang, "friend"),
                                             partial(library.t, pack, lang, "nudge_friend"))
            if p.nudge.kind == REVIEW:
                out.append(render_review(p.nudge, items.get(p.nudge.attempt_id or 0), pack,
                                         library, lang, name, shared))
                continue
            out.append(render_mission(p.nudge, target, pack, library, name, shared))
        return out


def render_mission(n: Nudge, target: Target, pack: Pack, library: PackLibrary,
                   name: str, shared: Shared | None = None) -> Reply:
    """A mission nudge; `shared` keeps what nudges of the same mission, kind and deadline
    share (all but the name) for the next ones."""
    lang = target.language
    key = (pack.id, lang, n.kind, mission_of(n.key), n.event_date)
    template, values, buttons = (shared or Shared()).get(
        key, lambda: _mission_parts(n, pack, library, lang))
    return Reply(fill(template, name=name, **values) if values is not None else template,
                 buttons)


def _mission_parts(n: Nudge, pack: Pack, library: PackLibrary,
                   lang: str) -> tuple[str, dict[str, str] | None, Buttons]:
    """The text's template and its values but the name (None: a text without any), and the
    buttons."""
    mission = pack.missions.get(mission_of(n.key))

    def t(key: str, **values: object) -> str:
        return library.t(pack, lang, key, **values)

    if mission is None:  # the pack changed under the plan: a plain way to the list
        return (t("missions_hint"), None,
                rows(MissionButton("list").button(t("btn_missions"))))
    title = mission.title.get(lang)
    # the deadline day, as the rule named it
    when = day_text(n.event_date, lang) if n.event_date is not None else ""
    if n.kind == NEW:
        return (library.text(pack, "mission_nudge_new", lang),
                {"title": title, "why": mission.why.get(lang), "due": when},
                rows(MissionButton("open", mission.id).button(t("btn_mission_send")),
                     _stop(library, pack, lang)))
    if n.kind == REMINDER:
        return (library.text(pack, "mission_nudge_reminder", lang),
                {"title": title, "due": when},
                rows(MissionButton("send", mission.id).button(t("btn_mission_send")),
                     _stop(library, pack, lang)))
    return (library.text(pack, "mission_nudge_checkin", lang), {"title": title},
            rows(MissionButton("reflect", mission.id).button(t("btn_mission_reflect")),
                 MissionButton("send", mission.id).button(t("btn_mission_send")),
                 _stop(library, pack, lang)))


def render_review(n: Nudge, item: tuple[str, str] | None, pack: Pack, library: PackLibrary,
                  lang: str, name: str, shared: Shared | None = None) -> Reply:
    """A one-question review; `shared` keeps what reviews of the same question share (the
    question, its options' labels, the stop button) for the next ones."""
    found = (shared or Shared()).get((pack.id, lang, "review", item),
                                     lambda: _review_parts(item, pack, library, lang))
    if found is None or n.attempt_id is None:
        return Reply(library.t(pack, lang, "review_gone"))
    template, tail, options, stop = found
    box = int(n.key.rsplit(":", 2)[-2])
    buttons = [ReviewAnswerButton(n.attempt_id, box, option).button(label)
               for option, label in options]
    return Reply(fill(template, name=name) + "\n" + tail, rows(*buttons, stop))


def _review_parts(item: tuple[str, str] | None, pack: Pack, library: PackLibrary,
                  lang: str) -> tuple[str, str, list[tuple[str, str]], Button] | None:
    """The review text's first line's template, the lines after it, each option's id and
    button label, and the stop button; None when the question is gone."""
    quiz = pack.quiz(item[0]) if item else None
    question = next((q for q in quiz.questions if q.id == item[1]), None) if (
        quiz and item) else None
    if question is None:
        return None
    lines = ["", f"*{question.text.get(lang)}*", ""]
    lines += [f"{LETTERS[k]}. {o.text.get(lang)}" for k, o in enumerate(question.options)]
    return (library.text(pack, "review_nudge", lang), "\n".join(lines),
            [(o.id, f"{LETTERS[k]}. {o.text.get(lang)}"[:60])
             for k, o in enumerate(question.options)], _stop(library, pack, lang))
