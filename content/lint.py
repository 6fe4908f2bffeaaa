"""Warnings about a pack that loads fine but may mislead partners (`coachbot content check`
prints them; they do not fail the check)."""

from __future__ import annotations

from collections import Counter

from content.loader import Pack
from content.schema import Quiz

LETTERS = "ABCDEF"
# a quiz with at least this many questions is checked for where its right answers sit
MIN_QUESTIONS = 4
MAX_SHARE = 0.6


def answer_positions(quiz: Quiz) -> list[int]:
    """The position (0 = A) of each question's right answer, as authored."""
    return [next(i for i, o in enumerate(q.options) if o.correct) for q in quiz.questions]


def position_warning(quiz: Quiz) -> str | None:
    """Says so when most right answers sit in one position, or one position common to every
    question never holds the right answer: a partner could guess the pattern."""
    positions = answer_positions(quiz)
    n = len(positions)
    if n < MIN_QUESTIONS:
        return None
    counts = Counter(positions)
    top, k = counts.most_common(1)[0]
    if k / n > MAX_SHARE:
        return f"{k} of {n} right answers are {LETTERS[top]}"
    widths = min(len(q.options) for q in quiz.questions)
    never = [LETTERS[i] for i in range(widths) if counts[i] == 0]
    if n >= 2 * widths and never:
        return f"the right answer is never {', '.join(never)} in {n} questions"
    return None


def warnings(pack: Pack) -> list[str]:
    """Every warning of a pack, each naming the quiz and what to change."""
    out = []
    quizzes = [(mid, m.quiz) for mid, m in pack.modules.items() if m.quiz]
    for qid, quiz in [*quizzes, ("final", pack.final_quiz)]:
        problem = position_warning(quiz)
        if problem:
            out.append(f"{pack.id}: warning: quiz '{qid}': {problem}; spread the right answers "
                       f"over the positions")
        for q in quiz.questions:
            if q.module is not None and q.module not in pack.modules:
                out.append(f"{pack.id}: warning: quiz '{qid}' question '{q.id}': no module "
                           f"'{q.module}' to send partners back to")
    return out
