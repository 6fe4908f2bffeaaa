"""The content-pack schema: what a coach writes in YAML, validated by pydantic."""

from __future__ import annotations

import enum
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGS = ("id", "en")
# how each language names itself, on the buttons that choose it
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
MAX_TEXT = 4096
# short ids keep every button payload inside Telegram's 64 bytes
Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,23}$")]
OptionId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,7}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """One text in every language: Indonesian first, English second."""

    id: str = Field(min_length=1, max_length=MAX_TEXT)
    en: str = Field(min_length=1, max_length=MAX_TEXT)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


class StepKind(enum.StrEnum):
    EXPLAIN = "explain"
    REFLECT = "reflect"
    CHECK = "check"


class Option(Strict):
    id: OptionId
    text: Text
    correct: bool = False
    feedback: Text


def _exactly_one_correct(options: list[Option]) -> list[Option]:
    ids = [o.id for o in options]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate option id among {ids}")
    correct = sum(o.correct for o in options)
    if correct != 1:
        raise ValueError(f"needs exactly one correct option, found {correct}")
    return options


def _no_duplicate_ids(ids: list[str], what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"duplicate {what} id {', '.join(dupes)}")


class Step(Strict):
    id: Ident
    kind: StepKind
    text: Text
    options: list[Option] = Field(default_factory=list, max_length=8)
    image: str | None = None

    @model_validator(mode="after")
    def _options_match_kind(self) -> Step:
        if self.kind is StepKind.CHECK:
            if len(self.options) < 2:
                raise ValueError("a check step needs at least two options")
            _exactly_one_correct(self.options)
        elif self.options:
            raise ValueError(f"a {self.kind.value} step takes no options")
        return self


class Question(Strict):
    id: Ident
    text: Text
    options: list[Option] = Field(min_length=2, max_length=6)
    # what to review when this question is missed, for the quiz-failed nudge
    topic: Text | None = None
    # the module that teaches it (final quiz): named when the question is missed
    module: Ident | None = None

    @field_validator("options")
    @classmethod
    def _one_correct(cls, v: list[Option]) -> list[Option]:
        return _exactly_one_correct(v)


class Quiz(Strict):
    title: Text
    # options in a fresh order on every attempt (off for "all of the above" style options)
    shuffle: bool = True
    pass_mark: float = Field(default=0.7, gt=0, le=1)
    questions: list[Question] = Field(min_length=1)

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, v: list[Question]) -> list[Question]:
        _no_duplicate_ids([q.id for q in v], "question")
        return v


class Module(Strict):
    id: Ident
    title: Text
    summary: Text
    requires: list[Ident] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    quiz: Quiz | None = None

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, v: list[Step]) -> list[Step]:
        _no_duplicate_ids([s.id for s in v], "step")
        return v


class Statement(Strict):
    id: Ident
    text: Text


class Assessment(Strict):
    intro: Text
    statements: list[Statement] = Field(min_length=1, max_length=12)


class FaqEntry(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$")
    topic: str | None = None
    questions: dict[str, list[Annotated[str, Field(min_length=1, max_length=500)]]]
    answer: Text
    # a live answer from the bot's own data (e.g. `next_webinars`), shown before `answer`;
    # the names are those the features provide (`coachbot content check` lists unknown ones)
    answer_from: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$")

    @field_validator("questions")
    @classmethod
    def _every_language(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang in LANGS:
            if not v.get(lang):
                raise ValueError(f"missing phrasings in language '{lang}'")
        unknown = set(v) - set(LANGS)
        if unknown:
            raise ValueError(f"unknown language {', '.join(sorted(unknown))}")
        return v


class Faq(Strict):
    entries: list[FaqEntry] = Field(default_factory=list)


AskedQuestions = dict[str, list[Annotated[str, Field(min_length=1, max_length=500)]]]


class FaqAsked(Strict):
    """Questions partners asked, each filed under the FAQ entry that answers it
    (faq_asked.yaml): the engine reads them as more phrasings of that entry. `taught` is
    what coaches filed, `asked` the development data's."""

    taught: AskedQuestions = Field(default_factory=dict)
    asked: AskedQuestions = Field(default_factory=dict)

    def by_entry(self) -> dict[str, list[str]]:
        """Every question by entry id, coaches' first, without repeats."""
        out: dict[str, list[str]] = {}
        for section in (self.taught, self.asked):
            for entry_id, questions in section.items():
                merged = out.setdefault(entry_id, [])
                merged.extend(q for q in questions if q not in merged)
        return out


class NudgeKind(enum.StrEnum):
    STALLED = "stalled"
    MODULE_FINISHED = "module_finished"
    QUIZ_FAILED = "quiz_failed"
    ONBOARDING_UNFINISHED = "onboarding_unfinished"
    INACTIVE = "inactive"
    TWIN_DATE = "twin_date"
    PAYDAY = "payday"


class NudgeThresholds(Strict):
    stalled_hours: float = 24
    module_finished_hours: float = 1
    quiz_failed_hours: float = 20
    onboarding_unfinished_hours: float = 2
    inactive_days: float = 7


class Nudges(Strict):
    thresholds: NudgeThresholds = Field(default_factory=NudgeThresholds)
    texts: dict[NudgeKind, Text]

    @field_validator("texts")
    @classmethod
    def _all_kinds(cls, v: dict[NudgeKind, Text]) -> dict[NudgeKind, Text]:
        missing = [k.value for k in NudgeKind if k not in v]
        if missing:
            raise ValueError(f"missing nudge texts: {', '.join(missing)}")
        return v


class WhatsAppTemplate(Strict):
    """An approved WhatsApp message template: how a message of one kind (nudge, reminder,
    broadcast, ticket_answer, …) reaches a partner outside the 24-hour window."""

    kind: str = Field(pattern=r"^[a-z][a-z_]{0,31}$")
    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")  # WhatsApp's code: id, en_US
    # where each {{n}} comes from, in order: "text" (the message itself), "name" (the
    # partner's name) or the key of a pack / UI text
    parameters: list[str] = Field(default_factory=list, max_length=10)


class PackMeta(Strict):
    id: Ident
    title: Text
    description: Text
    welcome: Text
    languages: list[str] = Field(default_factory=lambda: list(LANGS))
    modules: list[Ident] = Field(min_length=1)
    # the module after which calendar (twin date / payday) tips make sense
    promotion_module: Ident | None = None
    # what may be sent on WhatsApp outside the 24-hour window (issue 17)
    whatsapp_templates: list[WhatsAppTemplate] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        if list(v) != list(LANGS):
            raise ValueError(f"languages must be {list(LANGS)} (Indonesian first)")
        return v


PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
