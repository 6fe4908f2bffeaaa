"""Broadcasts: /broadcast and /broadcasts for coaches, and the report when one finishes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.core.feature import Job, Router
from handlers.broadcasts import coach
from handlers.broadcasts.service import Broadcasts as BroadcastRepo
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from scheduler.scope import Scope

REPORT_INTERVAL = 30.0  # seconds: how soon a coach hears that a broadcast finished


async def report_finished(scope: Scope) -> None:
    """Sends each finished broadcast's summary to the coach who started it, once."""
    await scope.repo(BroadcastRepo).report_finished(scope.library, scope.now)


class Broadcasts(FeatureBase):
    name: ClassVar[str] = "broadcasts"

    def routes(self, router: Router[Context]) -> None:
        router.command("broadcast", coach_only=True, help_key="coach_help_broadcast")(
            coach.start)
        router.command("broadcasts", coach_only=True, help_key="coach_help_broadcasts")(
            coach.list_broadcasts)
        router.button(coach.BroadcastButton)(coach.on_button)
        router.intercept(coach.on_text)

    def jobs(self) -> Sequence[Job[Scope]]:
        return (Job("broadcast-reports", REPORT_INTERVAL, report_finished),)


FEATURE = Broadcasts()
