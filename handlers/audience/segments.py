"""Audience segments for broadcasts and webinars: a small spec language resolved in SQL.

A spec is one or more parts joined by `+` (all must hold):

    all                     every partner who can be reached
    cohort:CODE             partners in the cohort with that join code
    finished:MODULE         partners who finished the module
    not_finished:MODULE     partners who have not finished it (yet)
    quiz_below:QUIZ:PCT     partners whose best finished attempt at QUIZ scored below PCT %
                            (QUIZ is a module id or `final`; no attempt means not in it)
    rsvp:WEBINAR            partners who said yes to the webinar with that id

Coaches, admins, partners who opted out and partners known to have blocked the bot are never
in a segment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cohort, Partner, Role
from handlers.learning.models import ModuleProgress, QuizAttempt
from handlers.webinars.models import Rsvp, Webinar, WebinarRsvp, WebinarStatus

KINDS = ("all", "cohort", "finished", "not_finished", "quiz_below", "rsvp")


class SegmentError(ValueError):
    """A spec that cannot be used; the message says which part and why."""


@dataclass(frozen=True)
class Part:
    kind: str
    args: tuple[str, ...] = ()

    def spec(self) -> str:
        return ":".join([self.kind, *self.args])


@dataclass(frozen=True)
class Segment:
    parts: tuple[Part, ...]

    @property
    def spec(self) -> str:
        return "+".join(p.spec() for p in self.parts)


@dataclass(frozen=True)
class Recipient:
    partner_id: int
    channel: str
    chat_id: str
    language: str
    pack_id: str
    name: str | None
    timezone: str


_ARITY = {"all": 0, "cohort": 1, "finished": 1, "not_finished": 1, "quiz_below": 2, "rsvp": 1}


def parse(spec: str) -> Segment:
    """Parses a spec; raises SegmentError naming the bad part."""
    raw = (spec or "").strip()
    if not raw:
        raise SegmentError("empty segment (use e.g. 'all' or 'cohort:CODE')")
    parts: list[Part] = []
    for chunk in raw.split("+"):
        kind, *args = [a.strip() for a in chunk.strip().split(":")]
        kind = kind.lower().replace("-", "_")
        if kind not in _ARITY:
            raise SegmentError(f"unknown segment '{chunk.strip()}' "
                               f"(one of: {', '.join(KINDS)})")
        if len(args) != _ARITY[kind] or not all(args):
            raise SegmentError(f"segment '{chunk.strip()}' needs {_ARITY[kind]} value(s)")
        if kind == "quiz_below":
            try:
                pct = float(args[1].rstrip("%"))
            except ValueError:
                raise SegmentError(f"'{args[1]}' is not a percentage") from None
            if not 0 < pct <= 100:
                raise SegmentError("a quiz score must be between 1 and 100 %")
            args[1] = f"{pct:g}"
        if kind == "rsvp" and not args[0].isdigit():
            raise SegmentError(f"'{args[0]}' is not a webinar id")
        parts.append(Part(kind, tuple(args)))
    return Segment(tuple(parts))


def _condition(part: Part, cohort_ids: dict[str, int]) -> ColumnElement[bool] | None:
    if part.kind == "all":
        return None
    if part.kind == "cohort":
        return Partner.cohort_id == cohort_ids[part.args[0]]
    if part.kind in ("finished", "not_finished"):
        done = exists().where(ModuleProgress.partner_id == Partner.id,
                              ModuleProgress.module_id == part.args[0],
                              ModuleProgress.completed_at.is_not(None))
        return done if part.kind == "finished" else ~done
    if part.kind == "quiz_below":
        best = (select(QuizAttempt.partner_id)
                .where(QuizAttempt.quiz_id == part.args[0], QuizAttempt.finished_at.is_not(None),
                       QuizAttempt.total > 0)
                .group_by(QuizAttempt.partner_id)
                .having(func.max(QuizAttempt.score * 100.0 / QuizAttempt.total)
                        < float(part.args[1])))
        return Partner.id.in_(best)
    assert part.kind == "rsvp"
    return exists().where(WebinarRsvp.partner_id == Partner.id,
                          WebinarRsvp.webinar_id == int(part.args[0]),
                          WebinarRsvp.answer == Rsvp.YES.value)


class Audience:
    """Segments resolved in SQL, in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def check(self, segment: Segment, known_modules: set[str] | None = None) -> None:
        """Checks that referenced cohorts, modules and webinars exist; raises SegmentError."""
        for part in segment.parts:
            if part.kind == "cohort":
                found = (await self.s.execute(select(Cohort.id).where(
                    Cohort.code == part.args[0]))).scalar_one_or_none()
                if found is None:
                    raise SegmentError(f"no cohort with code '{part.args[0]}'")
            elif part.kind in ("finished", "not_finished", "quiz_below") and (
                    known_modules is not None):
                mid = part.args[0]
                if mid not in known_modules and not (part.kind == "quiz_below"
                                                     and mid == "final"):
                    raise SegmentError(f"no module '{mid}' in the loaded packs")
            elif part.kind == "rsvp" and await self.s.get(Webinar, int(part.args[0])) is None:
                raise SegmentError(f"no webinar #{part.args[0]}")

    async def _query(self, segment: Segment) -> Any:
        codes = [p.args[0] for p in segment.parts if p.kind == "cohort"]
        cohort_ids: dict[str, int] = {}
        if codes:
            rows = await self.s.execute(select(Cohort.code, Cohort.id)
                                        .where(Cohort.code.in_(codes)))
            cohort_ids = {c: i for c, i in rows.all()}
        conds: list[ColumnElement[bool]] = [Partner.role == Role.PARTNER.value,
                                            Partner.opted_out.is_(False),
                                            Partner.blocked.is_(False)]
        for part in segment.parts:
            if part.kind == "cohort" and part.args[0] not in cohort_ids:
                return None
            cond = _condition(part, cohort_ids)
            if cond is not None:
                conds.append(cond)
        return and_(*conds)

    async def resolve(self, segment: Segment) -> list[Recipient]:
        """Everyone in the segment right now, in a stable order (by partner id)."""
        where = await self._query(segment)
        if where is None:
            return []
        rows = await self.s.execute(
            select(Partner.id, Partner.channel, Partner.chat_id, Partner.language,
                   Partner.pack_id, Partner.name, Partner.timezone)
            .where(where).order_by(Partner.id))
        return [Recipient(*r) for r in rows.all()]

    async def includes(self, segment: Segment, partner_id: int) -> bool:
        """Whether the partner is in the segment right now."""
        where = await self._query(segment)
        if where is None:
            return False
        return (await self.s.execute(
            select(Partner.id).where(where, Partner.id == partner_id))).first() is not None

    async def count(self, segment: Segment) -> int:
        where = await self._query(segment)
        if where is None:
            return 0
        return int((await self.s.execute(
            select(func.count()).select_from(Partner).where(where))).scalar_one())

    async def upcoming_webinars(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        """(id, title) of the next webinars, for the RSVP segment's choices."""
        rows = await self.s.execute(
            select(Webinar.id, Webinar.title)
            .where(Webinar.status == WebinarStatus.SCHEDULED.value, Webinar.starts_at > now)
            .order_by(Webinar.starts_at).limit(limit))
        return [(i, t) for i, t in rows.all()]


def describe(segment: Segment, t: Callable[..., str]) -> str:
    """The segment in words, through a translator `t(key, **kw)` (keys in coach.yaml)."""
    words = []
    for p in segment.parts:
        if p.kind == "all":
            words.append(t("segment_all"))
        elif p.kind == "cohort":
            words.append(t("segment_cohort", code=p.args[0]))
        elif p.kind == "finished":
            words.append(t("segment_finished", module=p.args[0]))
        elif p.kind == "not_finished":
            words.append(t("segment_not_finished", module=p.args[0]))
        elif p.kind == "quiz_below":
            words.append(t("segment_quiz_below", quiz=p.args[0], pct=p.args[1]))
        else:
            words.append(t("segment_rsvp", webinar=p.args[0]))
    return " + ".join(words)
