"""`coachbot content check` names the file, the place and the problem for every error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import EXAMPLE_PACKS

runner = CliRunner()


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE_PACKS / "example", target)
    return target


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_a_valid_pack_prints_its_summary_line(pack: Path) -> None:
    result = runner.invoke(app, ["content", "check", str(pack)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "example: modules=2 steps=5 reflective=2 checks=1 quiz_questions=4 assessment=2 "
        "faq=2 langs=id,en missions=0")


def _check(pack: Path) -> str:
    result = runner.invoke(app, ["content", "check", str(pack)])
    assert result.exit_code != 0
    return result.output


def test_unknown_key(pack: Path) -> None:
    _edit(pack / "modules/01-basics.yaml", lambda d: d["steps"][0].update(colour="red"))
    assert "example/modules/01-basics.yaml: steps[0].colour: unknown key" in _check(pack)


def test_missing_translation(pack: Path) -> None:
    _edit(pack / "modules/01-basics.yaml", lambda d: d["steps"][1]["text"].pop("en"))
    assert "example/modules/01-basics.yaml: steps[1].text.en: missing translation" in _check(
        pack)


def test_quiz_question_without_exactly_one_correct_option(pack: Path) -> None:
    _edit(pack / "final_quiz.yaml", lambda d: d["questions"][1]["options"][1].update(
        correct=True))
    out = _check(pack)
    assert "example/final_quiz.yaml: questions[1].options: needs exactly one correct option" in out


def test_duplicate_id(pack: Path) -> None:
    _edit(pack / "modules/01-basics.yaml", lambda d: d["steps"][1].update(id="intro"))
    assert "example/modules/01-basics.yaml: steps: duplicate step id intro" in _check(pack)


def test_reference_to_a_missing_module(pack: Path) -> None:
    _edit(pack / "pack.yaml", lambda d: d["modules"].append("ghost"))
    _edit(pack / "modules/02-promo.yaml", lambda d: d.update(requires=["phantom"]))
    out = _check(pack)
    assert "example/pack.yaml: modules[2]: reference to a missing module 'ghost'" in out
    assert "example/modules/02-promo.yaml: requires[0]: reference to a missing module " \
           "'phantom'" in out


def test_every_error_is_reported_not_just_the_first(pack: Path) -> None:
    _edit(pack / "assessment.yaml", lambda d: d["statements"][0].update(id="ready"))
    (pack / "nudges.yaml").write_text("texts: {}\n")
    (pack / "faq.yaml").write_text("entries: [\n")
    out = _check(pack)
    assert "assessment.yaml: statements[1].id: duplicate statement id 'ready'" in out
    assert "nudges.yaml: texts: missing nudge texts: stalled" in out
    assert "faq.yaml: line" in out and "not valid YAML" in out


def test_message_override_with_an_unknown_placeholder(pack: Path) -> None:
    (pack / "messages.yaml").write_text(
        'menu_title: {id: "Menu {nama}", en: "Menu {name}"}\nno_such_key: {id: a, en: b}\n')
    out = _check(pack)
    assert "example/messages.yaml: menu_title.id: unknown placeholder {nama}" in out
    assert "example/messages.yaml: no_such_key: unknown message key" in out


def test_the_bot_refuses_to_start_on_an_invalid_pack(pack: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(pack / "modules/01-basics.yaml", lambda d: d["steps"][0].update(colour="red"))
    monkeypatch.setenv("COACHBOT_PACKS_DIR", str(pack.parent))
    monkeypatch.setenv("COACHBOT_DEFAULT_PACK", "example")
    monkeypatch.setenv("COACHBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3")
    result = runner.invoke(app, ["chat", "--user", "x"], input="/start\n")
    assert result.exit_code == 2
    assert "example/modules/01-basics.yaml: steps[0].colour: unknown key" in result.output
