"""Onboarding: from /start to the first self-assessment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

from bot.core import Reply
from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.onboarding import chat
from handlers.onboarding.buttons import OnboardButton
from handlers.onboarding.nudges import OnboardingNudges
from handlers.onboarding.states import PROFILE_STATES
from scheduler.nudging import NudgeSource
from scheduler.scope import Scope


async def new_partners(scope: Scope, lang: str) -> list[str]:
    n = await scope.repos.partners.count_new(scope.now - timedelta(hours=24))
    return [scope.t(None, lang, "digest_new_partners", n=n)]


class Onboarding(FeatureBase):
    name: ClassVar[str] = "onboarding"

    def routes(self, router: Router[Context]) -> None:
        router.command("start", "mulai", help_key="help_start")(chat.start)
        router.button(OnboardButton)(chat.on_button)
        router.state(*PROFILE_STATES)(chat.on_text)

    async def resume(self, ctx: Context) -> list[Reply] | None:
        return chat.render(ctx) if ctx.partner.state in PROFILE_STATES else None

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        return await new_partners(scope, lang)

    def nudges(self) -> Sequence[NudgeSource]:
        return (OnboardingNudges(),)

    async def place(self, ctx: Context, lang: str) -> str | None:
        if ctx.partner.state not in PROFILE_STATES:
            return None
        return ctx.library.t(ctx.partner.pack_id, lang, "ticket_where_onboarding")


FEATURE = Onboarding()
