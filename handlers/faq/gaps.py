"""Groups the questions the FAQ could not answer, so coaches see what to add first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from handlers.faq.engine.text import tokens
from handlers.faq.repo import QuestionRecord


@dataclass
class Gap:
    key: str
    questions: list[QuestionRecord] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def example(self) -> str:
        return self.questions[0].text[:200]

    @property
    def others(self) -> list[str]:
        seen = {self.example}
        out = []
        for q in self.questions[1:]:
            if q.text[:200] not in seen:
                seen.add(q.text[:200])
                out.append(q.text[:200])
        return out

    def describe(self) -> str:
        unanswered = sum(q.helped is not False for q in self.questions)
        unhelpful = self.count - unanswered
        matched = Counter(q.entry_id for q in self.questions if q.helped is False and q.entry_id)
        parts = [f"unanswered {unanswered}", f"not helpful {unhelpful}"]
        if matched:
            parts.append("matched: " + ", ".join(f"{e}×{n}" for e, n in matched.most_common(3)))
        return "; ".join(parts)


def group_questions(questions: list[QuestionRecord], similarity: float = 60.0) -> list[Gap]:
    """Greedy grouping by token-set similarity of the normalised questions; biggest first."""
    groups: list[Gap] = []
    keys: list[str] = []  # groups' keys, compared in rapidfuzz's C loop (the page's hot spot)
    for q in questions:
        key = " ".join(tokens(q.text)) or q.text.strip().lower()[:200]
        found = process.extractOne(key, keys, scorer=fuzz.token_set_ratio,
                                   score_cutoff=similarity) if keys else None
        if found is not None:  # the first group with the best score, as before
            groups[found[2]].questions.append(q)
        else:
            groups.append(Gap(key, [q]))
            keys.append(key)
    return sorted(groups, key=lambda g: -g.count)
