"""Basics: the commands every partner has, whatever the program."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.core.feature import Router
from handlers.basics import chat
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase, LiveAnswer
from handlers.kit.position import stale


class Basics(FeatureBase):
    name: ClassVar[str] = "basics"

    def routes(self, router: Router[Context]) -> None:
        router.command("help", "bantuan", help_key="help_help")(chat.help_)
        router.command("progress", "kemajuan", help_key="help_progress")(chat.progress)
        router.command("language", "bahasa", help_key="help_language")(chat.language)
        router.button(chat.LanguageButton)(chat.on_language_button)
        router.set("unknown_command", chat.unknown_command)
        router.set("stale_button", stale)

    def live_answers(self) -> Mapping[str, LiveAnswer]:
        return {"my_progress": chat.my_progress}


FEATURE = Basics()
