"""Dashboard: coaches sign in to the web dashboard with a one-time link from the chat."""

from __future__ import annotations

from typing import ClassVar

from bot.core.feature import Router
from handlers.dashboard import chat
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase


class Dashboard(FeatureBase):
    name: ClassVar[str] = "dashboard"

    def routes(self, router: Router[Context]) -> None:
        router.command("dashboard", "dasbor", coach_only=True, help_key="coach_help_dashboard")(
            chat.dashboard_command)


FEATURE = Dashboard()
