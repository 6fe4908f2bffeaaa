"""The module menu with progress marks, and /menu from anywhere."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core import Button, Inbound, Reply, rows
from handlers.kit.context import Context
from handlers.kit.position import stale, where
from handlers.learning.buttons import MenuButton, QuizButton
from handlers.learning.repo import ProgressRecord, ProgressRepo
from handlers.learning.states import LearningState

# emitted when the partner goes back to the menu: features that hold a thread end it
MENU_EVENT = "menu"
ICONS = {"done": "✅", "started": "▶️", "new": "▫️"}


async def status(ctx: Context) -> tuple[dict[str, str], bool]:
    """Each module's mark (done / started / new) and whether every module is done."""
    return marks_of(ctx, await ctx.repo(ProgressRepo).all(ctx.partner.id))


def marks_of(ctx: Context, progress: Mapping[str, ProgressRecord]) -> tuple[dict[str, str], bool]:
    """status() for progress already read."""
    marks: dict[str, str] = {}
    for mid in ctx.pack.modules:
        pr = progress.get(mid)
        if pr is None:
            marks[mid] = "new"
        elif pr.completed:
            marks[mid] = "done"
        else:
            marks[mid] = "started"
    return marks, all(m == "done" for m in marks.values())


async def show(ctx: Context) -> list[Reply]:
    marks, all_done = await status(ctx)
    lines = [ctx.t("menu_title", name=ctx.partner.name or "")]
    buttons: list[Button] = []
    for i, (mid, module) in enumerate(ctx.pack.modules.items(), start=1):
        title = module.title.get(ctx.lang)
        lines.append(f"{ICONS[marks[mid]]} {i}. {title}")
        buttons.append(MenuButton("open", mid).button(f"{ICONS[marks[mid]]} {title}"[:60]))
    if all_done:
        buttons.append(QuizButton("start", "final").button(ctx.t("btn_final_quiz")))
    else:
        lines.append(ctx.t("menu_final_locked"))
    buttons.append(MenuButton("progress").button(ctx.t("btn_progress")))
    return [Reply("\n".join(lines), rows(*buttons))]


async def go_menu(msg: Inbound, ctx: Context) -> list[Reply]:
    """Leaves whatever the partner is doing (progress kept) and shows the menu."""
    await ctx.router.emit(MENU_EVENT, ctx)
    p = ctx.partner
    if not p.onboarded:
        return [Reply(ctx.t("finish_onboarding_first")), *await where(ctx)]
    p.move(LearningState.MENU)
    return await show(ctx)


async def go_home(msg: Inbound, ctx: Context) -> list[Reply]:
    """The Menu button: as /menu, but an old one pressed before onboarding is stale."""
    if not ctx.partner.onboarded:
        await ctx.router.emit(MENU_EVENT, ctx)
        return await stale(msg, ctx)
    return await go_menu(msg, ctx)
