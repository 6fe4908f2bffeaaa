"""A partner should not pass a quiz by always tapping the same letter: the content check
warns when a quiz's right answers sit mostly in one position, and no shipped pack does."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from content.lint import position_warning, warnings
from content.loader import PackLibrary, discover_packs
from content.schema import Option, Question, Quiz, Text
from tests.conftest import EXAMPLE_PACKS


def quiz(right: list[int]) -> Quiz:
    def option(k: int, correct: bool) -> Option:
        return Option(id="abc"[k], text=Text(id=f"pilihan {k}", en=f"choice {k}"),
                      correct=correct, feedback=Text(id="ok", en="ok"))

    return Quiz(title=Text(id="Kuis", en="Quiz"), questions=[
        Question(id=f"q{n}", text=Text(id=f"Soal {n}?", en=f"Question {n}?"),
                 options=[option(k, k == r) for k in range(3)])
        for n, r in enumerate(right)])


def test_right_answers_mostly_at_a_are_named() -> None:
    assert position_warning(quiz([0, 0, 0, 1, 0, 0])) == "5 of 6 right answers are A"
    assert position_warning(quiz([0, 1, 0, 1, 0, 1, 0, 1])) == (
        "the right answer is never C in 8 questions")
    assert position_warning(quiz([0, 1, 2, 0, 1, 2])) is None
    assert position_warning(quiz([0, 0])) is None, "too short to tell"


def test_no_shipped_quiz_has_its_right_answers_in_one_position() -> None:
    library = PackLibrary.load(discover_packs())
    assert [w for pack in library.packs.values() for w in warnings(pack)] == []


def test_content_check_prints_the_warning_and_still_passes(tmp_path: Path) -> None:
    pack = tmp_path / "example"
    shutil.copytree(EXAMPLE_PACKS / "example", pack)
    final = pack / "final_quiz.yaml"
    final.write_text(final.read_text(encoding="utf-8") + "".join(
        f"""  - id: x{n}
    text: {{id: "Soal {n}?", en: "Question {n}?"}}
    options:
      - id: a
        text: {{id: "Ya", en: "Yes"}}
        correct: true
        feedback: {{id: "Ya.", en: "Yes."}}
      - id: b
        text: {{id: "Tidak", en: "No"}}
        feedback: {{id: "Tidak.", en: "No."}}
""" for n in range(3)), encoding="utf-8")
    result = CliRunner().invoke(app, ["content", "check", str(pack)])
    assert result.exit_code == 0, result.output
    assert "example: warning: quiz 'final': 5 of 5 right answers are A" in result.output
