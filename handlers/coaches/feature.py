"""Coaches: admins make coaches; coaches see who else coaches."""

from __future__ import annotations

from typing import ClassVar

from bot.core.feature import Router
from handlers.coaches import chat, partner
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase


class Coaches(FeatureBase):
    name: ClassVar[str] = "coaches"

    def routes(self, router: Router[Context]) -> None:
        router.command("addcoach", coach_only=True, help_key="coach_help_addcoach")(
            chat.add_coach)
        router.command("removecoach", coach_only=True, help_key="coach_help_removecoach")(
            chat.remove_coach)
        router.command("coaches", coach_only=True, help_key="coach_help_coaches")(
            chat.list_coaches)
        router.command("partner", coach_only=True, help_key="coach_help_partner")(
            partner.show)
        router.button(partner.PartnerButton)(partner.on_button)
        router.intercept(partner.on_text)


FEATURE = Coaches()
