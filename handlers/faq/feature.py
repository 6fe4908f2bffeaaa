"""The FAQ: free text nobody is waiting for is a question for the pack's FAQ."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from bot.core.feature import DataSection, Router
from handlers.faq import chat, teach
from handlers.faq.engine import FaqEngines
from handlers.faq.repo import FaqLogRepo
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase, Startup
from handlers.kit.teach import TeachButton
from scheduler.scope import Scope


class Faq(FeatureBase):
    name: ClassVar[str] = "faq"

    def routes(self, router: Router[Context]) -> None:
        router.command("tanya", "ask", help_key="help_ask")(chat.ask_command)
        router.button(chat.FaqButton)(chat.on_button)
        router.set("fallback", chat.fallback)
        router.command("faqadd", help_key="coach_help_faqadd", for_coaches=True)(
            teach.faqadd_command)
        router.button(TeachButton)(teach.on_button)

    async def digest(self, scope: Scope, lang: str) -> list[str]:
        """What partners asked in the last day, and what the FAQ could not settle."""
        total, unanswered, unhelpful, recent = await scope.repo(FaqLogRepo).digest(
            scope.now - timedelta(hours=24))
        lines = [scope.t(None, lang, "digest_questions", n=total, unanswered=unanswered,
                         unhelpful=unhelpful)]
        return lines + [f"  “{q[:120]}”" for q in recent]

    async def my_data(self, ctx: Context) -> list[DataSection]:
        """The questions the partner asked, in their words."""
        asked = await ctx.repo(FaqLogRepo).of_partner(ctx.partner.id)
        if not asked:
            return []
        lines = [ctx.t("mydata_questions", n=len(asked))]
        lines += [f"❓ {q.text[:300]}" for q in asked[-5:]]
        export = [{"text": q.text, "answered_with": q.chosen_entry_id or q.entry_id,
                   "helped": q.helped, "at": q.created_at.isoformat()} for q in asked]
        return [DataSection("faq_questions", lines, export)]

    def prepare(self, startup: Startup) -> None:
        # one index per pack, built at start-up rather than on the first question
        startup.services.put(FaqEngines.build(startup.library, startup.settings))


FEATURE = Faq()
