"""Webinars: /webinar and /webinars for coaches, RSVP buttons for partners."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase, LiveAnswer
from handlers.webinars import coach, live
from handlers.webinars.buttons import RsvpButton, WebinarButton


class Webinars(FeatureBase):
    name: ClassVar[str] = "webinars"

    def routes(self, router: Router[Context]) -> None:
        router.command("webinar", coach_only=True, help_key="coach_help_webinar")(coach.start)
        router.command("webinars", coach_only=True, help_key="coach_help_webinars")(
            coach.list_webinars)
        router.button(WebinarButton)(coach.on_coach_button)
        router.button(RsvpButton)(coach.on_rsvp)
        router.intercept(coach.on_text)

    def live_answers(self) -> Mapping[str, LiveAnswer]:
        return {"next_webinars": live.next_webinars}


FEATURE = Webinars()
