"""Missions: practice with proof after the modules, the coaches' review, deadline nudges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.core import Reply, rows
from bot.core.feature import DataSection, Job, ReportGroup, ReportSection, Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.learning.buttons import HOME
from handlers.missions import certify, chat, overview
from handlers.missions.buttons import (
    LIST,
    DraftButton,
    MissionButton,
    ReviewAnswerButton,
    ReviewButton,
)
from handlers.missions.nudges import MissionNudges
from handlers.missions.repo import MissionRepo, ReviewRepo
from handlers.missions.states import MissionState
from scheduler.nudging import NudgeSource
from scheduler.scope import Scope


async def sync_reviews(scope: Scope) -> None:
    """Questions missed in the quizzes just finished become spaced-review items."""
    await scope.repo(ReviewRepo).sync(scope.now)


class Missions(FeatureBase):
    name: ClassVar[str] = "missions"

    def routes(self, router: Router[Context]) -> None:
        router.command("misi", "missions", help_key="help_missions")(chat.list_command)
        router.command("review", "cek", help_key="coach_help_missions", for_coaches=True)(
            chat.review_command)
        router.command("cert", "sertifikat", help_key="coach_help_cert", for_coaches=True)(
            chat.cert_command)
        router.button(MissionButton)(chat.on_button)
        router.button(DraftButton)(chat.on_draft_button)
        router.button(ReviewButton)(chat.on_review_button)
        router.button(ReviewAnswerButton)(chat.on_review_answer)
        router.state(MissionState.PROOF)(chat.on_proof)
        router.state(MissionState.REFLECT)(chat.on_reflect)
        router.intercept(chat.intercept)

    async def resume(self, ctx: Context) -> list[Reply] | None:
        st = ctx.partner.state
        if st in (MissionState.PROOF, MissionState.REFLECT):
            v = next((v for v in await chat.views(ctx)
                      if v.mission.id == ctx.partner.position), None)
            if v is None:
                return None
            if st == MissionState.PROOF:
                return [chat._prompt(ctx, v.mission)]
            return [Reply(ctx.t("mission_reflect_prompt", title=v.mission.title.get(ctx.lang)),
                          rows(HOME.button(ctx.t("btn_menu"))))]
        if st == MissionState.FEEDBACK:  # a coach asked to write feedback: ask again
            return await chat.ask_feedback(ctx, int(ctx.partner.position or 0))
        return None

    async def progress(self, ctx: Context) -> list[Reply]:
        got = await ctx.repo(MissionRepo).standings(ctx.partner.id)  # one query
        found = await chat.views(ctx, got)
        lines = []
        if found:
            lines.append(ctx.t("missions_title"))
            for v in found:
                lines.append(f"{chat.ICONS[v.standing]} {v.mission.title.get(ctx.lang)}")
        if got.mastered:
            lines.append(ctx.t("review_progress", n=got.mastered))
        if not lines:
            return []
        buttons = rows(LIST.button(ctx.t("btn_missions"))) if found else ()
        return [Reply("\n".join(lines), buttons)]

    async def my_data(self, ctx: Context) -> list[DataSection]:
        return await overview.my_data(ctx)

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        return await overview.digest(scope, lang)

    async def report(self, scope: Scope, groups: Sequence[ReportGroup],
                     lang: str) -> dict[str, list[ReportSection]]:
        return await overview.report(scope, groups, lang)

    def nudges(self) -> Sequence[NudgeSource]:
        return (MissionNudges(),)

    def jobs(self) -> Sequence[Job[Scope]]:
        return (Job("review-items", "planner_interval", sync_reviews),
                Job("certificates", "planner_interval", certify.sync))


FEATURE = Missions()
