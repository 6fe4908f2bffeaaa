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
in a segment. A part that names a module or quiz selects only partners whose pack has it
(the `Catalog` of the loaded packs says which); without a catalog such a part is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cohort, Partner, Role
from content.loader import Pack
from handlers.learning.models import ModuleProgress, QuizAttempt
from handlers.webinars.models import Rsvp, Webinar, WebinarRsvp, WebinarStatus

KINDS = ("all", "cohort", "finished", "not_finished", "quiz_below", "rsvp")
MODULE_KINDS = ("finished", "not_finished", "quiz_below")


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


@dataclass(frozen=True)
class Catalog:
    """Which loaded pack has which modules and quizzes (module ids; `final` in every pack)."""

    modules: Mapping[str, frozenset[str]]
    quizzes: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, packs: Mapping[str, Pack]) -> Catalog:
        return cls({pid: frozenset(p.modules) for pid, p in packs.items()},
                   {pid: frozenset([*(m for m, mod in p.modules.items() if mod.quiz),
                                    "final"]) for pid, p in packs.items()})

    def packs_with(self, part: Part) -> list[str]:
        """The packs in which a module or quiz part can hold, sorted."""
        ident = part.args[0]
        table = self.quizzes if part.kind == "quiz_below" else self.modules
        return sorted(pid for pid, ids in table.items() if ident in ids)


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


def _condition(part: Part, cohort_ids: dict[str, int],
               catalog: Catalog | None) -> ColumnElement[bool] | None:
    if part.kind == "all":
        return None
    if part.kind == "cohort":
        return Partner.cohort_id == cohort_ids[part.args[0]]
    if part.kind in MODULE_KINDS:
        if catalog is None:
            raise SegmentError(f"segment '{part.spec()}' needs the packs to know who has "
                               f"'{part.args[0]}'")
        # a partner whose pack lacks the module can never finish it: never in the segment
        in_pack = Partner.pack_id.in_(catalog.packs_with(part))
    if part.kind in ("finished", "not_finished"):
        done = exists().where(ModuleProgress.partner_id == Partner.id,
                              ModuleProgress.module_id == part.args[0],
                              ModuleProgress.completed_at.is_not(None))
        return and_(in_pack, done if part.kind == "finished" else ~done)
    if part.kind == "quiz_below":
        best = (select(QuizAttempt.partner_id)
                .where(QuizAttempt.quiz_id == part.args[0], QuizAttempt.finished_at.is_not(None),
                       QuizAttempt.total > 0)
                .group_by(QuizAttempt.partner_id)
                .having(func.max(QuizAttempt.score * 100.0 / QuizAttempt.total)
                        < float(part.args[1])))
        return and_(in_pack, Partner.id.in_(best))
    assert part.kind == "rsvp"
    return exists().where(WebinarRsvp.partner_id == Partner.id,
                          WebinarRsvp.webinar_id == int(part.args[0]),
                          WebinarRsvp.answer == Rsvp.YES.value)


class Audience:
    """Segments resolved in SQL, in one unit of work."""

    def __init__(self, session: AsyncSession):
        self.s = session

    async def check(self, segment: Segment, catalog: Catalog | None = None) -> None:
        """Checks that referenced cohorts, modules and webinars exist; raises SegmentError."""
        for part in segment.parts:
            if part.kind == "cohort":
                found = (await self.s.execute(select(Cohort.id).where(
                    Cohort.code == part.args[0]))).scalar_one_or_none()
                if found is None:
                    raise SegmentError(f"no cohort with code '{part.args[0]}'")
            elif part.kind in MODULE_KINDS:
                if catalog is None or not catalog.packs_with(part):
                    what = "quiz" if part.kind == "quiz_below" else "module"
                    raise SegmentError(f"no {what} '{part.args[0]}' in the loaded packs")
            elif part.kind == "rsvp" and await self.s.get(Webinar, int(part.args[0])) is None:
                raise SegmentError(f"no webinar #{part.args[0]}")

    async def _query(self, segment: Segment, catalog: Catalog | None,
                     reachable: bool = True) -> Any:
        codes = [p.args[0] for p in segment.parts if p.kind == "cohort"]
        cohort_ids: dict[str, int] = {}
        if codes:
            rows = await self.s.execute(select(Cohort.code, Cohort.id)
                                        .where(Cohort.code.in_(codes)))
            cohort_ids = {c: i for c, i in rows.all()}
        conds: list[ColumnElement[bool]] = [Partner.role == Role.PARTNER.value,
                                            Partner.opted_out.is_(False)]
        conds.append(and_(Partner.blocked.is_(False), Partner.chat_id != "") if reachable
                     else or_(Partner.blocked.is_(True), Partner.chat_id == ""))
        for part in segment.parts:
            if part.kind == "cohort" and part.args[0] not in cohort_ids:
                return None
            cond = _condition(part, cohort_ids, catalog)
            if cond is not None:
                conds.append(cond)
        return and_(*conds)

    async def resolve(self, segment: Segment, catalog: Catalog | None = None) -> list[Recipient]:
        """Everyone in the segment right now, in a stable order (by partner id)."""
        where = await self._query(segment, catalog)
        if where is None:
            return []
        rows = await self.s.execute(
            select(Partner.id, Partner.channel, Partner.chat_id, Partner.language,
                   Partner.pack_id, Partner.name, Partner.timezone)
            .where(where).order_by(Partner.id))
        return [Recipient(*r) for r in rows.all()]

    async def includes(self, segment: Segment, partner_id: int,
                       catalog: Catalog | None = None) -> bool:
        """Whether the partner is in the segment right now."""
        where = await self._query(segment, catalog)
        if where is None:
            return False
        return (await self.s.execute(
            select(Partner.id).where(where, Partner.id == partner_id))).first() is not None

    async def count(self, segment: Segment, catalog: Catalog | None = None) -> int:
        where = await self._query(segment, catalog)
        if where is None:
            return 0
        return int((await self.s.execute(
            select(func.count()).select_from(Partner).where(where))).scalar_one())

    async def breakdown(self, segment: Segment,
                        catalog: Catalog | None = None) -> list[tuple[str | None, str, int]]:
        """(cohort name or None, pack id, partners) of the segment, largest first."""
        where = await self._query(segment, catalog)
        if where is None:
            return []
        rows = await self.s.execute(
            select(Cohort.name, Partner.pack_id, func.count())
            .select_from(Partner).outerjoin(Cohort, Cohort.id == Partner.cohort_id)
            .where(where).group_by(Cohort.name, Partner.pack_id))
        return sorted(((c, p, int(n)) for c, p, n in rows.all()),
                      key=lambda r: (-r[2], r[0] or "", r[1]))

    async def unreachable(self, segment: Segment, catalog: Catalog | None = None) -> int:
        """Partners the segment would hold but the bot cannot reach: they blocked it or
        there is no chat to write to."""
        where = await self._query(segment, catalog, reachable=False)
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


def describe(segment: Segment, t: Callable[..., str],
             title: Callable[[str], str] = str) -> str:
    """The segment in words, through a translator `t(key, **kw)` (keys in coach.yaml) and
    `title(module or quiz id)`."""
    words = []
    for p in segment.parts:
        if p.kind == "all":
            words.append(t("segment_all"))
        elif p.kind == "cohort":
            words.append(t("segment_cohort", code=p.args[0]))
        elif p.kind == "finished":
            words.append(t("segment_finished", module=title(p.args[0])))
        elif p.kind == "not_finished":
            words.append(t("segment_not_finished", module=title(p.args[0])))
        elif p.kind == "quiz_below":
            words.append(t("segment_quiz_below", quiz=title(p.args[0]), pct=p.args[1]))
        else:
            words.append(t("segment_rsvp", webinar=p.args[0]))
    return " + ".join(words)
