"""Learning: modules, quizzes and the self-assessment, and their place in the shared views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.core import Inbound, Reply
from bot.core.feature import DataSection, ReportGroup, ReportSection, Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.kit.position import stale
from handlers.learning import assessment, menu, modules, overview, quiz
from handlers.learning.buttons import (
    AnswerButton,
    CheckButton,
    MenuButton,
    QuizButton,
    RatingButton,
    StepButton,
)
from handlers.learning.nudges import LearningNudges
from handlers.learning.states import ASSESSING, LearningState
from scheduler.nudging import NudgeSource
from scheduler.scope import Scope


async def on_menu_button(data: MenuButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Opens a module, goes home, or shows /progress."""
    if data.action == "home":
        return await menu.go_home(msg, ctx)
    if not ctx.partner.onboarded:
        return await stale(msg, ctx)
    if data.action == "open" and data.module in ctx.pack.modules:
        return await modules.open_module(data.module, ctx)
    if data.action == "progress":
        return await ctx.router.run_command("progress", msg, ctx)
    return await stale(msg, ctx)


class Learning(FeatureBase):
    name: ClassVar[str] = "learning"

    def routes(self, router: Router[Context]) -> None:
        router.command("menu", help_key="help_menu")(menu.go_menu)
        router.button(MenuButton)(on_menu_button)
        router.button(StepButton)(modules.on_step_button)
        router.button(CheckButton)(modules.on_check_button)
        router.state(LearningState.MODULE)(modules.on_text)
        router.button(QuizButton)(quiz.on_start_button)
        router.button(AnswerButton)(quiz.on_answer_button)
        router.state(LearningState.QUIZ)(quiz.on_text)
        router.button(RatingButton)(assessment.on_button)
        router.state(*ASSESSING)(assessment.on_text)

    async def resume(self, ctx: Context) -> list[Reply] | None:
        st = ctx.partner.state
        if st in ASSESSING:
            return assessment.render(ctx)
        if st == LearningState.MODULE:
            return await modules.render(ctx)
        if st == LearningState.QUIZ:
            return await quiz.render(ctx)
        if st == LearningState.MENU:
            return await menu.show(ctx)
        return None

    async def place(self, ctx: Context, lang: str) -> str | None:
        p = ctx.partner

        def t(key: str, **values: object) -> str:
            return ctx.library.t(p.pack_id, lang, key, **values)

        if p.state == LearningState.MODULE and p.module_id in ctx.pack.modules:
            module = ctx.pack.modules[p.module_id]
            ids = [s.id for s in module.steps]
            n = ids.index(p.step_id) + 1 if p.step_id in ids else 1
            return t("ticket_where_module", n=n, total=len(ids), module=module.title.get(lang))
        if p.state == LearningState.QUIZ:
            return t("ticket_where_quiz")
        if p.state in ASSESSING:
            return t("ticket_where_assessment")
        return None

    async def progress(self, ctx: Context) -> list[Reply]:
        return await overview.progress(ctx)

    async def my_data(self, ctx: Context) -> list[DataSection]:
        return await overview.my_data(ctx)

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        return await overview.digest(scope, lang)

    async def report(self, scope: Scope, groups: Sequence[ReportGroup],
                     lang: str) -> dict[str, list[ReportSection]]:
        return await overview.report(scope, groups, lang)

    def nudges(self) -> Sequence[NudgeSource]:
        return (LearningNudges(),)


FEATURE = Learning()
