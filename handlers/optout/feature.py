"""Opting out of everything the bot sends on its own."""

from __future__ import annotations

from typing import ClassVar

from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.optout import chat
from handlers.optout.buttons import NudgeButton, StopButton


class OptOut(FeatureBase):
    name: ClassVar[str] = "optout"

    def routes(self, router: Router[Context]) -> None:
        router.command("stop", "berhenti", help_key="help_stop")(chat.stop)
        router.button(StopButton)(chat.on_stop_button)
        router.button(NudgeButton)(chat.on_nudge_button)


FEATURE = OptOut()
