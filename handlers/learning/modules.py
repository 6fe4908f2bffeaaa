"""Guided modules: explanation steps, reflective questions and understanding checks."""

from __future__ import annotations

from bot.core import Button, Inbound, Reply, rows
from content.schema import Module, Step, StepKind
from handlers.kit.context import Context
from handlers.kit.position import stale
from handlers.learning import menu
from handlers.learning.buttons import HOME, CheckButton, MenuButton, QuizButton, StepButton
from handlers.learning.repo import ProgressRepo
from handlers.learning.states import LearningState

LETTERS = "ABCDEFGH"


def _current(ctx: Context) -> tuple[Module, Step, int] | None:
    p = ctx.partner
    module = ctx.pack.modules.get(p.module_id or "")
    if module is None:
        return None
    ids = [s.id for s in module.steps]
    if p.step_id not in ids:
        return None
    i = ids.index(p.step_id)
    return module, module.steps[i], i


def _nav(ctx: Context, module: Module, step: Step, i: int, *, forward: bool = True) -> list[
        Button]:
    buttons = []
    if i > 0:
        buttons.append(StepButton(module.id, step.id, "back").button(ctx.t("btn_back")))
    if forward:
        key = "btn_skip" if step.kind is StepKind.REFLECT else "btn_next"
        buttons.append(StepButton(module.id, step.id, "next").button(ctx.t(key)))
    buttons.append(HOME.button(ctx.t("btn_menu")))
    return buttons


def render_step(ctx: Context, module: Module, step: Step, i: int) -> list[Reply]:
    head = ctx.t("step_header", module=module.title.get(ctx.lang), n=i + 1,
                 total=len(module.steps))
    body = step.text.get(ctx.lang)
    if step.kind is StepKind.EXPLAIN:
        return [Reply(f"{head}\n\n{body}", (tuple(_nav(ctx, module, step, i)),),
                      image=step.image)]
    if step.kind is StepKind.REFLECT:
        return [Reply(f"{head}\n\n💭 {body}\n\n{ctx.t('reflect_hint')}",
                      (tuple(_nav(ctx, module, step, i)),), image=step.image)]
    options = [f"{LETTERS[k]}. {o.text.get(ctx.lang)}" for k, o in enumerate(step.options)]
    buttons = [CheckButton(module.id, step.id, o.id).button(
        f"{LETTERS[k]}. {o.text.get(ctx.lang)}"[:60]) for k, o in enumerate(step.options)]
    text = f"{head}\n\n❓ {body}\n\n" + "\n".join(options)
    return [Reply(text, (*rows(*buttons), tuple(_nav(ctx, module, step, i, forward=False))),
                  image=step.image)]


async def render(ctx: Context) -> list[Reply]:
    cur = _current(ctx)
    if cur is None:  # the pack changed under a stored position: back to the menu
        ctx.partner.move(LearningState.MENU)
        return await menu.show(ctx)
    return render_step(ctx, *cur)


async def _go_to(ctx: Context, module: Module, i: int) -> list[Reply]:
    step = module.steps[i]
    ctx.partner.move(LearningState.MODULE, module_id=module.id, step_id=step.id)
    await ctx.repo(ProgressRepo).at_step(ctx.partner.id, module.id, step.id, ctx.now())
    return render_step(ctx, module, step, i)


async def open_module(module_id: str, ctx: Context) -> list[Reply]:
    """Resumes a module where the partner left it, or starts it (again) from the top."""
    module = ctx.pack.modules[module_id]
    progress = await ctx.repo(ProgressRepo).all(ctx.partner.id)
    missing = [r for r in module.requires if not (progress.get(r) and progress[r].completed)]
    if missing:
        titles = ", ".join(ctx.pack.modules[r].title.get(ctx.lang) for r in missing)
        return [Reply(ctx.t("module_locked", modules=titles),
                      rows(HOME.button(ctx.t("btn_menu"))))]
    pr = progress.get(module_id)
    ids = [s.id for s in module.steps]
    if pr and not pr.completed and pr.step_id in ids:
        return [Reply(ctx.t("module_resume")), *await _go_to(ctx, module, ids.index(pr.step_id))]
    intro = Reply(f"📘 *{module.title.get(ctx.lang)}*\n{module.summary.get(ctx.lang)}")
    return [intro, *await _go_to(ctx, module, 0)]


async def _advance(ctx: Context, module: Module, i: int) -> list[Reply]:
    if i + 1 < len(module.steps):
        return await _go_to(ctx, module, i + 1)
    p = ctx.partner
    await ctx.repo(ProgressRepo).complete(p.id, module.id, module.steps[-1].id, ctx.now())
    p.move(LearningState.MENU)
    buttons = []
    if module.quiz:
        buttons.append(QuizButton("start", module.id).button(ctx.t("btn_module_quiz")))
    nxt = ctx.pack.next_module(module.id)
    if nxt:
        buttons.append(MenuButton("open", nxt).button(ctx.t(
            "btn_next_module", module=ctx.pack.modules[nxt].title.get(ctx.lang))[:60]))
    buttons.append(HOME.button(ctx.t("btn_menu")))
    return [Reply(ctx.t("module_done", module=module.title.get(ctx.lang)), rows(*buttons))]


async def on_step_button(data: StepButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Next / Back / Try again on the step the partner is on; anything older is stale."""
    cur = _current(ctx)
    action = data.action
    if (cur is None or ctx.partner.state != LearningState.MODULE or cur[0].id != data.module
            or cur[1].id != data.step):
        return await stale(msg, ctx)
    module, step, i = cur
    if action == "next" and step.kind is not StepKind.CHECK:
        return await _advance(ctx, module, i)
    if action == "after":  # continue after an answered check
        return await _advance(ctx, module, i)
    if action == "back" and i > 0:
        return await _go_to(ctx, module, i - 1)
    if action == "retry" and step.kind is StepKind.CHECK:
        return render_step(ctx, module, step, i)
    return await stale(msg, ctx)


async def _answer_check(ctx: Context, module: Module, step: Step, i: int,
                        option_id: str) -> list[Reply]:
    option = next((o for o in step.options if o.id == option_id), None)
    if option is None:
        return [Reply(ctx.t("choose_option")), *render_step(ctx, module, step, i)]
    await ctx.repo(ProgressRepo).record_response(ctx.partner.id, module.id, step.id, "check",
                                                 ctx.now(), option_id=option.id,
                                                 correct=option.correct)
    verdict = ctx.t("check_right" if option.correct else "check_wrong")
    buttons = [] if option.correct else [
        StepButton(module.id, step.id, "retry").button(ctx.t("btn_try_again"))]
    buttons.append(StepButton(module.id, step.id, "after").button(ctx.t("btn_next")))
    return [Reply(f"{verdict}\n\n{option.feedback.get(ctx.lang)}", (tuple(buttons),))]


async def on_check_button(data: CheckButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Gives honest feedback on the option chosen in an understanding check."""
    cur = _current(ctx)
    if (cur is None or ctx.partner.state != LearningState.MODULE or cur[0].id != data.module
            or cur[1].id != data.step or cur[1].kind is not StepKind.CHECK):
        return await stale(msg, ctx)
    return await _answer_check(ctx, *cur, option_id=data.option)


def _option_from_text(text: str, step: Step) -> str | None:
    choice = text.strip().upper().rstrip(".)")
    if len(choice) == 1 and choice in LETTERS[:len(step.options)]:
        return step.options[LETTERS.index(choice)].id
    if choice.isdigit() and 1 <= int(choice) <= len(step.options):
        return step.options[int(choice) - 1].id
    return None


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Stores a reflective answer warmly, or reads a typed option letter in a check."""
    cur = _current(ctx)
    if cur is None:
        return await render(ctx)
    module, step, i = cur
    if step.kind is StepKind.REFLECT:
        await ctx.repo(ProgressRepo).record_response(ctx.partner.id, module.id, step.id,
                                                     "reflect", ctx.now(),
                                                     text=msg.text.strip())
        return [Reply(ctx.t("reflect_ack", name=ctx.partner.name or "")),
                *await _advance(ctx, module, i)]
    if step.kind is StepKind.CHECK:
        option_id = _option_from_text(msg.text, step)
        if option_id is None:
            return [Reply(ctx.t("choose_option")), *render_step(ctx, module, step, i)]
        return await _answer_check(ctx, module, step, i, option_id)
    return None  # not an answer to anything: a question for the FAQ
