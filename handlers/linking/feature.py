"""Linking: /link gives a one-time code; /link CODE from the other channel joins the two."""

from __future__ import annotations

from typing import ClassVar

from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.linking import chat


class Linking(FeatureBase):
    name: ClassVar[str] = "linking"

    def routes(self, router: Router[Context]) -> None:
        router.command("link", "tautkan", help_key="help_link")(chat.link)


FEATURE = Linking()
