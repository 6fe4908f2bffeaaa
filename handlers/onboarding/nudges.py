"""Onboarding's nudge: started but not finished, a gentle reminder after a couple of hours."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply
from bot.core.i18n import fill
from bot.storage.models import Partner
from content.loader import Pack, PackLibrary
from content.schema import NudgeKind
from handlers.kit.nudges import Buttons, Shared, nudge_parts
from handlers.learning.states import LearningState
from handlers.onboarding.states import PROFILE_STATES
from handlers.optout.buttons import CONTINUE
from scheduler.nudging import Nudge, PartnerFacts, Placed, PlanQuery, Rule, RuleConfig, Target
from scheduler.nudging import stamp as stamp_of

PT = cast(Table, Partner.__table__).c
PRIORITY = 3  # after a failed quiz, a finished module or a stalled one; before the calendar
# still onboarding: the profile questions, or the first self-assessment
UNFINISHED_STATES = frozenset({*PROFILE_STATES, LearningState.ASSESS_BEFORE})


def onboarding_unfinished(f: PartnerFacts, cfg: RuleConfig, now: datetime) -> Iterable[Nudge]:
    """Onboarding started but not finished: a gentle reminder after a couple of hours."""
    if f.onboarded_at is not None or f.state not in UNFINISHED_STATES:
        return ()
    return (Nudge(NudgeKind.ONBOARDING_UNFINISHED, f"n:{f.id}:onb:{stamp_of(f.last_active_at)}",
                  f.last_active_at + timedelta(hours=cfg.thresholds.onboarding_unfinished_hours),
                  f"onboarding unfinished (at {f.state}) since last activity", PRIORITY,
                  expires_at=f.last_active_at + timedelta(days=cfg.thresholds.inactive_days)),)


@dataclass
class OnboardingNudges:
    """The planner's view of onboarding's nudge."""

    name: str = "onboarding"
    kinds: frozenset[str] = field(
        default_factory=lambda: frozenset({NudgeKind.ONBOARDING_UNFINISHED}))

    def rules(self, pack: Pack) -> Sequence[Rule]:
        return (onboarding_unfinished,)

    def relevant(self, q: PlanQuery) -> Sequence[ColumnElement[bool]]:
        return ()

    def candidates(self, q: PlanQuery) -> Sequence[Select[Any]]:
        la = PT.last_active_at
        return (select(PT.id).where(
            *q.base, q.in_window, q.not_expired, PT.onboarded_at.is_(None),
            PT.state.in_(sorted(UNFINISHED_STATES)),
            la <= q.now - q.soonest["onboarding_unfinished_hours"] + q.lookahead,
            q.unknown(q.key(PT.id, ":onb:", q.stamp(la)))),)

    def changed(self, q: PlanQuery, since: datetime) -> Sequence[Select[Any]]:
        return ()  # only the partner's own turns change onboarding

    async def load(self, s: AsyncSession, facts: Mapping[int, PartnerFacts],
                   q: PlanQuery) -> Mapping[int, Any]:
        return {}

    async def render(self, s: AsyncSession, chosen: Sequence[tuple[Target, Placed]],
                     library: PackLibrary, pack_of: Callable[[str], Pack]) -> list[Reply]:
        out = []
        shared = Shared()
        for target, p in chosen:
            pack = pack_of(target.pack_id)
            lang = target.language

            def make(pack: Pack = pack, lang: str = lang,
                     kind: str = p.nudge.kind) -> tuple[str, str, Buttons, str]:
                main = CONTINUE.button(library.t(pack, lang, "nudge_btn_continue"))
                return (*nudge_parts(kind, pack, library, lang, main),
                        library.t(pack, lang, "nudge_topics_fallback"))

            template, friend, buttons, topics = shared.get((pack.id, lang, p.nudge.kind), make)
            out.append(Reply(fill(template, name=target.name or friend, module="",
                                  next_module="", topics=topics, date=""), buttons))
        return out
