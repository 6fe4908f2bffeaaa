"""Tickets: the hand-off from the bot to a human coach."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.core.feature import DataSection, Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase, LiveAnswer
from handlers.learning.menu import MENU_EVENT
from handlers.tickets import chat
from handlers.tickets.repo import TicketRepo
from scheduler.scope import Scope


class Tickets(FeatureBase):
    name: ClassVar[str] = "tickets"

    def routes(self, router: Router[Context]) -> None:
        router.command("coach", help_key="help_coach")(chat.coach_command)
        router.command("reply", "balas", help_key="coach_help_reply", for_coaches=True)(
            chat.reply_command)
        router.command("close", "tutup", help_key="coach_help_close", for_coaches=True)(
            chat.close_command)
        router.command("tickets", "tiket", help_key="coach_help_tickets", for_coaches=True)(
            chat.list_command)
        router.button(chat.TicketButton)(chat.on_button)
        router.intercept(chat.intercept)
        router.intercept_late(chat.coach_chat_rest)
        router.on(MENU_EVENT)(chat.end_thread)

    def live_answers(self) -> Mapping[str, LiveAnswer]:
        return {"my_ticket": chat.my_ticket}

    async def my_data(self, ctx: Context) -> list[DataSection]:
        return await chat.my_data(ctx)

    async def forget(self, ctx: Context) -> None:
        await chat.forget(ctx)

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        n = await scope.repo(TicketRepo).count_open()
        return [scope.t(None, lang, "digest_open_tickets", n=n)]


FEATURE = Tickets()
