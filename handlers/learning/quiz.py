"""Readiness quizzes: one question at a time, an honest score, retakes kept."""

from __future__ import annotations

import random

from bot.core import Inbound, Reply, rows
from content.schema import Option, Question, Quiz
from handlers.kit.context import Context
from handlers.kit.position import stale, where
from handlers.learning import assessment, menu
from handlers.learning.buttons import HOME, AnswerButton, MenuButton, QuizButton
from handlers.learning.repo import QuizRepo
from handlers.learning.states import LearningState

LETTERS = "ABCDEF"
MAX_REVISIT = 3


def ordered(attempt_id: int, quiz: Quiz, q: Question) -> list[Option]:
    """The options as this attempt shows them: shuffled once per attempt and question (the
    same order on every render), so the right answer's letter says nothing."""
    options = list(q.options)
    if quiz.shuffle:
        random.Random(f"{attempt_id}:{q.id}").shuffle(options)
    return options


def revisit(ctx: Context, quiz_id: str, quiz: Quiz,
            answers: dict[str, tuple[str, bool]]) -> list[str]:
    """The modules to review after a failed attempt: a module quiz's own module; for the
    final quiz, the modules that teach the questions missed (in the pack's order)."""
    if quiz_id in ctx.pack.modules:
        return [quiz_id]
    missed = {q.module for q in quiz.questions
              if q.module and not answers.get(q.id, ("", False))[1]}
    return [mid for mid in ctx.pack.module_order if mid in missed]


def _title(ctx: Context, quiz_id: str, quiz: Quiz) -> str:
    return quiz.title.get(ctx.lang)


async def start(quiz_id: str, ctx: Context) -> list[Reply]:
    """Starts a quiz, or continues the unfinished attempt of the same quiz."""
    quiz = ctx.pack.quiz(quiz_id)
    if quiz is None:
        return [Reply(ctx.t("quiz_unknown")), *await where(ctx)]
    p = ctx.partner
    quizzes = ctx.repo(QuizRepo)
    attempt_id = await quizzes.open_attempt(p.id, quiz_id)
    replies: list[Reply] = []
    if attempt_id is None:
        attempt_id = await quizzes.start(p.id, quiz_id, len(quiz.questions), ctx.now())
        replies.append(Reply(ctx.t("quiz_intro", quiz=_title(ctx, quiz_id, quiz),
                                   total=len(quiz.questions),
                                   pass_mark=round(quiz.pass_mark * 100))))
    else:
        replies.append(Reply(ctx.t("quiz_resume", quiz=_title(ctx, quiz_id, quiz))))
    attempt = await quizzes.get(attempt_id)
    assert attempt is not None
    nxt = next((q for q in quiz.questions if q.id not in attempt.answers), quiz.questions[0])
    p.move(LearningState.QUIZ, quiz_attempt_id=attempt_id, position=nxt.id)
    return [*replies, *await render(ctx)]


def _render_question(ctx: Context, attempt_id: int, quiz: Quiz, q: Question) -> Reply:
    n = [x.id for x in quiz.questions].index(q.id) + 1
    lines = [ctx.t("quiz_question", n=n, total=len(quiz.questions)), "", q.text.get(ctx.lang), ""]
    options = ordered(attempt_id, quiz, q)
    lines += [f"{LETTERS[k]}. {o.text.get(ctx.lang)}" for k, o in enumerate(options)]
    buttons = [AnswerButton(attempt_id, q.id, o.id).button(
        f"{LETTERS[k]}. {o.text.get(ctx.lang)}"[:60]) for k, o in enumerate(options)]
    return Reply("\n".join(lines), (*rows(*buttons), (HOME.button(ctx.t("btn_menu")),)))


async def _current(ctx: Context) -> tuple[int, str, Quiz, Question] | None:
    p = ctx.partner
    if p.state != LearningState.QUIZ or p.quiz_attempt_id is None:
        return None
    attempt = await ctx.repo(QuizRepo).get(p.quiz_attempt_id)
    quiz = ctx.pack.quiz(attempt.quiz_id) if attempt else None
    if attempt is None or quiz is None or attempt.finished_at is not None:
        return None
    q = next((x for x in quiz.questions if x.id == p.position), None)
    if q is None:
        return None
    return attempt.id, attempt.quiz_id, quiz, q


async def render(ctx: Context) -> list[Reply]:
    cur = await _current(ctx)
    if cur is None:
        ctx.partner.move(LearningState.MENU)
        return await menu.show(ctx)
    attempt_id, _, quiz, q = cur
    return [_render_question(ctx, attempt_id, quiz, q)]


async def _answer(ctx: Context, attempt_id: int, quiz_id: str, quiz: Quiz, q: Question,
                  option_id: str) -> list[Reply]:
    option = next((o for o in q.options if o.id == option_id), None)
    if option is None:
        return [Reply(ctx.t("choose_option")), _render_question(ctx, attempt_id, quiz, q)]
    quizzes = ctx.repo(QuizRepo)
    await quizzes.answer(attempt_id, q.id, option.id, option.correct, ctx.now())
    attempt = await quizzes.get(attempt_id)
    assert attempt is not None
    nxt = next((x for x in quiz.questions if x.id not in attempt.answers), None)
    if nxt is not None:
        ctx.partner.position = nxt.id
        return [_render_question(ctx, attempt_id, quiz, nxt)]
    return await _finish(ctx, attempt_id, quiz_id, quiz, attempt.answers)


async def _finish(ctx: Context, attempt_id: int, quiz_id: str, quiz: Quiz,
                  answers: dict[str, tuple[str, bool]]) -> list[Reply]:
    p = ctx.partner
    score = sum(1 for q in quiz.questions if answers.get(q.id, ("", False))[1])
    total = len(quiz.questions)
    passed = score / total >= quiz.pass_mark - 1e-9
    await ctx.repo(QuizRepo).finish(attempt_id, score, total, passed, ctx.now())
    p.move(LearningState.MENU)
    pct = round(100 * score / total)
    head = ctx.t("quiz_passed" if passed else "quiz_failed", score=score, total=total, pct=pct,
                 pass_mark=round(quiz.pass_mark * 100))
    replies = [Reply(head)]
    missed: list[str] = []
    for q in quiz.questions:
        chosen_id, correct = answers.get(q.id, ("", False))
        if correct:
            continue
        chosen = next((o for o in q.options if o.id == chosen_id), None)
        right = next(o for o in q.options if o.correct)
        parts = [f"❌ *{q.text.get(ctx.lang)}*"]
        if chosen is not None:
            parts.append(ctx.t("quiz_your_answer", answer=chosen.text.get(ctx.lang)) + " — "
                         + chosen.feedback.get(ctx.lang))
        parts.append(ctx.t("quiz_right_answer", answer=right.text.get(ctx.lang)) + " — "
                     + right.feedback.get(ctx.lang))
        missed.append("\n".join(parts))
    # keep each message inside one chat message even for long quizzes
    chunk = ""
    for block in missed:
        if chunk and len(chunk) + len(block) + 2 > 3500:
            replies.append(Reply(chunk))
            chunk = ""
        chunk = f"{chunk}\n\n{block}" if chunk else block
    if chunk:
        replies.append(Reply(chunk))
    if passed and quiz_id == "final":
        replies.append(Reply(ctx.t("final_passed")))
        return [*replies, *assessment.begin(ctx, "after")]
    buttons = [QuizButton("start", quiz_id).button(ctx.t("btn_retake")),
               HOME.button(ctx.t("btn_menu"))]
    if not passed:
        review = revisit(ctx, quiz_id, quiz, answers)
        if review:
            titles = [ctx.pack.modules[mid].title.get(ctx.lang) for mid in review]
            replies.append(Reply(ctx.t("quiz_revisit", modules=", ".join(
                f"*{t}*" for t in titles))))
            buttons[:0] = [MenuButton("open", mid).button(
                ctx.t("btn_open_module", module=title)[:60])
                for mid, title in list(zip(review, titles, strict=True))[:MAX_REVISIT]]
    if passed:
        nxt = ctx.pack.next_module(quiz_id)
        if nxt:
            buttons.insert(0, MenuButton("open", nxt).button(ctx.t(
                "btn_next_module", module=ctx.pack.modules[nxt].title.get(ctx.lang))[:60]))
    replies[-1] = Reply(replies[-1].text, rows(*buttons))
    return replies


async def on_start_button(data: QuizButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Starts the quiz the button names if the partner may take it now."""
    if data.action != "start" or not ctx.partner.onboarded:
        return await stale(msg, ctx)
    quiz_id = data.quiz or ""
    if quiz_id == "final":
        _, all_done = await menu.status(ctx)
        if not all_done:
            return [Reply(ctx.t("menu_final_locked")), *await menu.show(ctx)]
    return await start(quiz_id, ctx)


async def on_answer_button(data: AnswerButton, msg: Inbound, ctx: Context) -> list[Reply]:
    """Records the answer if the button belongs to the question being asked now."""
    cur = await _current(ctx)
    if cur is None or cur[0] != data.attempt or cur[3].id != data.question:
        return await stale(msg, ctx)
    return await _answer(ctx, *cur, option_id=data.option)


async def on_text(msg: Inbound, ctx: Context) -> list[Reply] | None:
    """Reads a typed option letter (A-F or 1-6); other text is gently refused."""
    cur = await _current(ctx)
    if cur is None:
        return await render(ctx)
    attempt_id, quiz_id, quiz, q = cur
    choice = msg.text.strip().upper().rstrip(".)")
    index = None
    if len(choice) == 1 and choice in LETTERS[:len(q.options)]:
        index = LETTERS.index(choice)
    elif choice.isdigit() and 1 <= int(choice) <= len(q.options):
        index = int(choice) - 1
    if index is None:
        return [Reply(ctx.t("choose_option")), _render_question(ctx, attempt_id, quiz, q)]
    return await _answer(ctx, attempt_id, quiz_id, quiz, q,
                         ordered(attempt_id, quiz, q)[index].id)
