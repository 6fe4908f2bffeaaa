"""Check-ins: the partner's answers to the questions the bot's nudges ask."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from bot.core.feature import DataSection, Router
from handlers.checkins import chat
from handlers.checkins.repo import CheckinRepo
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.learning.menu import MENU_EVENT
from handlers.optout.buttons import CONTINUE_EVENT
from scheduler.scope import Scope

QUOTE = 160


class Checkins(FeatureBase):
    name: ClassVar[str] = "checkins"

    def routes(self, router: Router[Context]) -> None:
        router.intercept(chat.intercept)
        router.on(MENU_EVENT)(chat.moved_on)
        router.on(CONTINUE_EVENT)(chat.moved_on)

    async def my_data(self, ctx: Context) -> list[DataSection]:
        answers = await ctx.repo(CheckinRepo).of_partner(ctx.partner.id, limit=1000)
        if not answers:
            return []
        lines = [ctx.t("mydata_checkins", n=len(answers))]
        lines += [f"💬 {a.answer[:300]}" for a in answers[:5]]
        export = [{"question": a.question, "answer": a.answer,
                   "at": a.answered_at.isoformat()} for a in answers]
        return [DataSection("checkins", lines, export)]

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        """How partners answered the check-ins in the last day: coaches read their words."""
        n, latest = await scope.repo(CheckinRepo).since(scope.now - timedelta(hours=24))
        if not n:
            return []
        lines = [scope.t(None, lang, "digest_checkins", n=n)]
        for a in latest:
            partner = await scope.repos.partners.by_id(a.partner_id)
            name = (partner.name or partner.external_id) if partner else "?"
            text = " ".join(a.answer.split())
            lines.append(f"  {name}: “{text[:QUOTE]}{'…' if len(text) > QUOTE else ''}”")
        return lines


FEATURE = Checkins()
