"""Reports: who is ready and who is stuck, in chat and every morning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.core.feature import Job, Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.reports import coach, digest
from scheduler.scope import Scope


async def send_digest(scope: Scope) -> None:
    """Enqueues the coaches' digest once the digest hour has passed (once a day)."""
    await digest.enqueue_if_due(scope)


class Reports(FeatureBase):
    name: ClassVar[str] = "reports"

    def routes(self, router: Router[Context]) -> None:
        router.command("cohort", "kelompok", coach_only=True, help_key="coach_help_cohort")(
            coach.cohort)
        router.button(coach.CoachNudgeButton)(coach.on_nudge)

    def jobs(self) -> Sequence[Job[Scope]]:
        return (Job("coach-digest", "planner_interval", send_digest),)


FEATURE = Reports()
