"""Missions: practice with proof after the modules, the coaches' review, deadline nudges."""

from __future__ import annotations

from typing import ClassVar

from bot.core import Reply, rows
from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.learning.buttons import HOME
from handlers.missions import chat
from handlers.missions.buttons import LIST, DraftButton, MissionButton, ReviewButton
from handlers.missions.plan import Standing
from handlers.missions.states import MissionState


class Missions(FeatureBase):
    name: ClassVar[str] = "missions"

    def routes(self, router: Router[Context]) -> None:
        router.command("misi", "missions", help_key="help_missions")(chat.list_command)
        router.command("review", "cek", help_key="coach_help_missions", for_coaches=True)(
            chat.review_command)
        router.button(MissionButton)(chat.on_button)
        router.button(DraftButton)(chat.on_draft_button)
        router.button(ReviewButton)(chat.on_review_button)
        router.state(MissionState.PROOF)(chat.on_proof)
        router.state(MissionState.REFLECT)(chat.on_reflect)
        router.intercept(chat.intercept)

    async def resume(self, ctx: Context) -> list[Reply] | None:
        st = ctx.partner.state
        if st in (MissionState.PROOF, MissionState.REFLECT):
            v = next((v for v in await chat.views(ctx)
                      if v.mission.id == ctx.partner.position), None)
            if v is None:
                return None
            if st == MissionState.PROOF:
                return [chat._prompt(ctx, v.mission)]
            return [Reply(ctx.t("mission_reflect_prompt", title=v.mission.title.get(ctx.lang)),
                          rows(HOME.button(ctx.t("btn_menu"))))]
        if st == MissionState.FEEDBACK:
            return [Reply(ctx.t("review_list_title", n="…"),
                          rows(HOME.button(ctx.t("btn_menu"))))]
        return None

    async def progress(self, ctx: Context) -> list[Reply]:
        found = await chat.views(ctx)
        if not found:
            return []
        lines = [ctx.t("missions_title")]
        for v in found:
            lines.append(f"{chat.ICONS[v.standing]} {v.mission.title.get(ctx.lang)}")
        done = sum(v.standing is Standing.APPROVED for v in found)
        lines.append(f"{done}/{len(found)} ✅")
        return [Reply("\n".join(lines), rows(LIST.button(ctx.t("btn_missions"))))]


FEATURE = Missions()
