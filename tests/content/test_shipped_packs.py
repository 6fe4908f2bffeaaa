"""Every shipped content pack: it passes `coachbot content check` with the issue's minimums,
its questions are sound and bilingual, and a partner can walk it from /start to the
before/after readiness comparison."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app as cli
from bot.config import Settings
from bot.core import Button, FixedClock
from bot.core.payloads import parse
from bot.storage.db import Database
from content.loader import Pack, PackLibrary, discover_packs, load_pack
from content.schema import LANGS, MAX_TEXT, NudgeKind, Option, Question, StepKind, Text
from handlers.learning.buttons import AnswerButton, CheckButton, MenuButton, QuizButton, StepButton
from tests.fixtures.chat import Chat

PACK_DIRS = discover_packs()
PACK_IDS = [d.name for d in PACK_DIRS]
CHAT_LIMIT = 700  # what we aim for; MAX_TEXT (one Telegram message) is the hard limit
SUMMARY = re.compile(
    r"^(?P<pack>\S+): modules=(?P<modules>\d+) steps=(?P<steps>\d+) "
    r"reflective=(?P<reflective>\d+) checks=(?P<checks>\d+) "
    r"quiz_questions=(?P<quiz_questions>\d+) assessment=(?P<assessment>\d+) "
    r"faq=(?P<faq>\d+) langs=(?P<langs>\S+) missions=(?P<missions>\d+)$")
# the brands of the source documents: packs teach their practices, never their names
BRANDS = ("reddoorz", "redseller", "tiktok", "shopee", "lazada", "deltomed", "herbana",
          "herbamojo")
NUDGE_PLACEHOLDERS = {
    NudgeKind.STALLED: {"name", "module"},
    NudgeKind.MODULE_FINISHED: {"name", "next_module"},
    NudgeKind.QUIZ_FAILED: {"name", "topics"},
    NudgeKind.ONBOARDING_UNFINISHED: {"name"},
    NudgeKind.INACTIVE: {"name"},
    NudgeKind.TWIN_DATE: {"name", "date"},
    NudgeKind.PAYDAY: {"name"},
}

pytestmark = pytest.mark.skipif(not PACK_DIRS, reason="no content packs shipped yet")


@pytest.fixture(scope="module")
def library() -> PackLibrary:
    return PackLibrary.load(PACK_DIRS)


def _pack(library: PackLibrary, pack_id: str) -> Pack:
    return next(p for p in library.packs.values() if p.root.name == pack_id)


def _texts(node: object, where: str) -> Iterator[tuple[str, Text]]:
    """Every Text inside a pack's models, with a readable place."""
    if isinstance(node, Text):
        yield where, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _texts(getattr(node, name), f"{where}.{name}")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, f"{where}.{getattr(key, 'value', key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{where}[{i}]")


def all_texts(pack: Pack) -> list[tuple[str, Text]]:
    return [*_texts(pack.meta, "pack"), *_texts(pack.modules, "modules"),
            *_texts(pack.final_quiz, "final_quiz"), *_texts(pack.assessment, "assessment"),
            *_texts(pack.faq, "faq"), *_texts(pack.nudges, "nudges"),
            *_texts(pack.messages, "messages")]


def questions(pack: Pack) -> Iterator[tuple[str, str, list[Option]]]:
    """Every multiple-choice item: understanding checks and quiz questions."""
    for module in pack.modules.values():
        for step in module.steps:
            if step.kind is StepKind.CHECK:
                yield f"{module.id}/{step.id}", step.text.id, step.options
        if module.quiz:
            for q in module.quiz.questions:
                yield f"{module.id}/quiz/{q.id}", q.text.id, q.options
    for q in pack.final_quiz.questions:
        yield f"final/{q.id}", q.text.id, q.options


# ── the content check and the issue's minimums ───────────────────────────────

@pytest.mark.parametrize("pack_dir", PACK_DIRS, ids=PACK_IDS)
def test_coach_checks_the_pack_and_sees_the_issue_minimums(pack_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["content", "check", str(pack_dir)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    m = SUMMARY.match(lines[0])
    assert m, lines[0]
    n = {k: v for k, v in m.groupdict().items() if k not in ("pack", "langs")}
    counts = {k: int(v) for k, v in n.items()}
    assert m["langs"] == "id,en"
    assert counts["modules"] == 5
    assert 6 * 5 <= counts["steps"] <= 10 * 5
    assert counts["reflective"] >= 5 and counts["checks"] >= 2 * 5
    assert counts["quiz_questions"] >= 5 * 5 + 12
    assert 6 <= counts["assessment"] <= 8
    assert counts["faq"] >= 40


def test_content_check_without_arguments_checks_every_shipped_pack() -> None:
    result = CliRunner().invoke(cli, ["content", "check"])
    assert result.exit_code == 0, result.output
    found = [SUMMARY.match(line) for line in result.output.strip().splitlines()]
    seen = {m["pack"] for m in found if m}
    assert seen == {load_pack(d).id for d in PACK_DIRS}


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_module_mixes_explaining_reflecting_and_checking(library: PackLibrary,
                                                               pack_id: str) -> None:
    pack = _pack(library, pack_id)
    for module in pack.modules.values():
        kinds = [s.kind for s in module.steps]
        assert 6 <= len(kinds) <= 10, (module.id, len(kinds))
        assert StepKind.EXPLAIN in kinds, module.id
        assert kinds.count(StepKind.REFLECT) >= 1, module.id
        assert kinds.count(StepKind.CHECK) >= 2, module.id
        assert module.quiz is not None and len(module.quiz.questions) == 5, module.id
        assert all(q.topic is not None for q in module.quiz.questions), module.id
    assert len(pack.final_quiz.questions) >= 12
    assert all(q.topic is not None for q in pack.final_quiz.questions)
    assert 6 <= len(pack.assessment.statements) <= 8
    assert pack.meta.promotion_module in pack.modules


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_faq_has_forty_entries_asked_in_four_ways_per_language(library: PackLibrary,
                                                               pack_id: str) -> None:
    pack = _pack(library, pack_id)
    assert len(pack.faq) >= 40
    for entry in pack.faq:
        for lang in LANGS:
            phrasings = [p.strip().lower() for p in entry.questions[lang]]
            assert len(phrasings) >= 4, (entry.id, lang)
            assert len(set(phrasings)) == len(phrasings), (entry.id, lang, "repeated phrasing")
    every = [(e.id, p.strip().lower()) for e in pack.faq for lang in LANGS
             for p in e.questions[lang]]
    owners: dict[str, set[str]] = {}
    for entry_id, phrasing in every:
        owners.setdefault(phrasing, set()).add(entry_id)
    shared = {p: ids for p, ids in owners.items() if len(ids) > 1}
    assert not shared, f"the same phrasing belongs to several entries: {shared}"


# ── questions and texts ───────────────────────────────────────────────────────

@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_question_has_one_right_answer_and_feedback_for_every_option(
        library: PackLibrary, pack_id: str) -> None:
    pack = _pack(library, pack_id)
    for where, _, options in questions(pack):
        assert sum(o.correct for o in options) == 1, where
        assert 2 <= len(options) <= 4, where
        for o in options:
            for lang in LANGS:
                assert o.feedback.get(lang).strip(), (where, o.id, lang)
                assert o.feedback.get(lang).strip() != o.text.get(lang).strip(), (where, o.id)
            # a button label is cut at 60 characters including "A. "
            assert all(len(o.text.get(lang)) <= 57 for lang in LANGS), (where, o.id)


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_text_exists_in_both_languages_and_fits_one_message(
        library: PackLibrary, pack_id: str,
        record_property: Callable[[str, object], None]) -> None:
    pack = _pack(library, pack_id)
    texts = all_texts(pack)
    long = [(where, lang, len(t.get(lang))) for where, t in texts for lang in LANGS
            if len(t.get(lang)) > CHAT_LIMIT]
    for where, text in texts:
        for lang in LANGS:
            assert text.get(lang).strip(), (where, lang)
            assert len(text.get(lang)) <= MAX_TEXT, (where, lang)
        if len(text.id) > 30:  # a long text left untranslated is a copy, not a translation
            assert text.id.strip() != text.en.strip(), where
    for entry in pack.faq:
        assert all(p.strip() for lang in LANGS for p in entry.questions[lang]), entry.id
    record_property("texts", len(texts))
    record_property("texts_over_700", len(long))
    print(f"{pack.id}: {len(texts)} texts, {len(long)} over {CHAT_LIMIT} characters"
          + "".join(f"\n  {w} [{lang}] {n}" for w, lang, n in long))


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_packs_name_no_brand_from_the_source_documents(library: PackLibrary,
                                                        pack_id: str) -> None:
    pack = _pack(library, pack_id)
    words = [(w, t.get(lang)) for w, t in all_texts(pack) for lang in LANGS]
    words += [(f"faq.{e.id}", p) for e in pack.faq for lang in LANGS for p in e.questions[lang]]
    found = [(where, b) for where, text in words for b in BRANDS if b in text.lower()]
    assert not found


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_nudges_use_only_the_placeholders_their_moment_provides(library: PackLibrary,
                                                                pack_id: str) -> None:
    pack = _pack(library, pack_id)
    for kind, text in pack.nudges.texts.items():
        for lang in LANGS:
            used = {f for _, f, _, _ in string.Formatter().parse(text.get(lang)) if f}
            assert used <= NUDGE_PLACEHOLDERS[kind], (kind.value, lang, used)
    inactive = pack.nudges.texts[NudgeKind.INACTIVE]
    assert all(inactive.get(lang).rstrip().endswith("?") for lang in LANGS), \
        "the inactive nudge ends with a reflective question"


# ── a partner walks the whole pack ───────────────────────────────────────────

def _buttons(chat: Chat) -> list[Button]:
    return [b for r in chat.replies for b in r.flat_buttons]


async def _tap(chat: Chat, payload: str) -> None:
    """Taps the button with this payload, which must be on screen right now."""
    offered = [b.payload for b in _buttons(chat)]
    assert payload in offered, f"{payload!r} not offered; buttons: {offered}"
    await chat.press_payload(payload)


async def _answer(chat: Chat, question_id: str, option_id: str) -> None:
    """Taps the answer button of a quiz question (its payload names the attempt)."""
    found = [b.payload for b in _buttons(chat)
             if isinstance(p := parse(b.payload), AnswerButton)
             and (p.question, p.option) == (question_id, option_id)]
    assert found, f"no answer button {question_id}/{option_id}: {chat.labels}"
    await chat.press_payload(found[0])


def _right(options: list[Option]) -> Option:
    return next(o for o in options if o.correct)


async def _take_quiz(chat: Chat, quiz_id: str, qs: list[Question], lang: str) -> None:
    await _tap(chat, QuizButton("start", quiz_id).pack())
    for q in qs:
        assert q.text.get(lang) in chat.text
        await _answer(chat, q.id, _right(q.options).id)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("pack_id", PACK_IDS)
async def test_partner_completes_every_module_quiz_and_the_final_quiz(
        database: Database, library: PackLibrary, pack_id: str, lang: str) -> None:
    pack = _pack(library, pack_id)
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",
                        default_pack=pack.id)
    bot = CoachBot(database, library, settings, clock=FixedClock())
    chat = Chat(bot, user=f"{pack_id}-{lang}")

    def t(key: str, **kw: object) -> str:
        return library.text(pack, key, lang).format(**kw)

    await chat.send("/start")
    assert pack.meta.welcome.id in chat.text
    await chat.press("English" if lang == "en" else "Bahasa Indonesia")
    await chat.send("Sari")
    await chat.press("🎓")
    await chat.press("WIB")
    assert pack.assessment.intro.get(lang) in chat.text
    for _ in pack.assessment.statements:
        await chat.press("2")
    assert t("assessment_before_done", name="Sari") in chat.text

    first = True
    for mid, module in pack.modules.items():
        await _tap(chat, MenuButton("open", mid).pack())
        assert module.title.get(lang) in chat.text
        for i, step in enumerate(module.steps):
            assert step.text.get(lang) in chat.text, (mid, step.id)
            assert t("step_header", module=module.title.get(lang), n=i + 1,
                     total=len(module.steps)) in chat.text
            if step.kind is StepKind.EXPLAIN:
                await _tap(chat, StepButton(mid, step.id, "next").pack())
            elif step.kind is StepKind.REFLECT:
                await chat.send("Aku mau coba dulu dengan teman-teman kampus.")
                assert t("reflect_ack", name="Sari") in chat.text
            else:
                wrong = next(o for o in step.options if not o.correct)
                await _tap(chat, CheckButton(mid, step.id, wrong.id).pack())
                assert wrong.feedback.get(lang) in chat.text and t("check_wrong") in chat.text
                await _tap(chat, StepButton(mid, step.id, "retry").pack())
                right = _right(step.options)
                await _tap(chat, CheckButton(mid, step.id, right.id).pack())
                assert right.feedback.get(lang) in chat.text and t("check_right") in chat.text
                await _tap(chat, StepButton(mid, step.id, "after").pack())
        assert t("module_done", module=module.title.get(lang)) in chat.text
        assert module.quiz is not None
        qs = module.quiz.questions
        pass_mark = round(module.quiz.pass_mark * 100)
        if first:  # once per journey: a failed attempt shows the explanation of every miss
            first = False
            await _tap(chat, QuizButton("start", mid).pack())
            for q in qs:
                await _answer(chat, q.id, next(o for o in q.options if not o.correct).id)
            assert t("quiz_failed", score=0, total=len(qs), pct=0,
                     pass_mark=pass_mark) in chat.text
            for q in qs:
                assert _right(q.options).feedback.get(lang) in chat.text
        await _take_quiz(chat, mid, qs, lang)
        assert t("quiz_passed", score=len(qs), total=len(qs), pct=100,
                 pass_mark=pass_mark) in chat.text
        nxt = pack.next_module(mid)
        if nxt is None:
            await _tap(chat, MenuButton("home").pack())

    final = pack.final_quiz
    await _take_quiz(chat, "final", final.questions, lang)
    assert t("final_passed") in chat.text
    assert t("assessment_after_intro") in chat.text
    for _ in pack.assessment.statements:
        await chat.press("4")
    assert t("comparison_title") in chat.text
    for st in pack.assessment.statements:
        assert f"• {st.text.get(lang)}\n  2 → 4 (+2)" in chat.text
    assert t("comparison_average", before="2.0", after="4.0") in chat.text
