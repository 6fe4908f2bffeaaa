"""`coachbot content check` checks a pack's WhatsApp templates: their names, language codes
and where each parameter comes from."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

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


def with_templates(pack: Path, templates: list[dict[str, Any]]) -> str:
    path = pack / "pack.yaml"
    data = yaml.safe_load(path.read_text())
    data["whatsapp_templates"] = templates
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = runner.invoke(app, ["content", "check", str(pack)])
    return f"{result.exit_code}\n{result.output}"


def test_a_template_fed_by_the_message_the_name_and_a_text_key_passes(pack: Path) -> None:
    out = with_templates(pack, [{"kind": "nudge", "name": "pengingat_belajar",
                                 "language": "id", "parameters": ["name", "text", "wa_friend"]},
                                {"kind": "nudge", "name": "study_reminder",
                                 "language": "en_US", "parameters": ["text"]}])
    assert out.startswith("0\n"), out


def test_a_parameter_from_an_unknown_text_is_named_with_its_place(pack: Path) -> None:
    out = with_templates(pack, [{"kind": "reminder", "name": "webinar_reminder",
                                 "language": "id", "parameters": ["text", "webinar_tittle"]}])
    assert not out.startswith("0\n")
    assert "whatsapp_templates[0].parameters[1]" in out and "webinar_tittle" in out


def test_a_template_name_whatsapp_would_refuse_is_reported(pack: Path) -> None:
    out = with_templates(pack, [{"kind": "reminder", "name": "Webinar Reminder",
                                 "language": "id"}])
    assert not out.startswith("0\n") and "whatsapp_templates" in out
