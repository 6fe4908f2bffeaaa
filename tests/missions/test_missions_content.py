"""A coach writing missions.yaml hears exactly what is wrong, like in every pack file; the
shipped packs carry missions written for their partners."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from content.loader import PackLibrary, discover_packs
from content.missions import ProofKind

runner = CliRunner()


@pytest.fixture
def pack(tmp_path: Path, mission_packs: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(mission_packs / "example", target)
    return target


def _broken(pack: Path, change: Callable[[dict[str, Any]], object]) -> str:
    path = pack / "missions.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = runner.invoke(app, ["content", "check", str(pack)])
    assert result.exit_code != 0
    return result.output


def test_a_mission_unlocked_by_a_module_that_does_not_exist(pack: Path) -> None:
    out = _broken(pack, lambda d: d["missions"][0].update(after="tiktok"))
    assert ("example/missions.yaml: missions[0].after: reference to a missing module "
            "'tiktok'") in out


def test_a_deadline_needs_days_or_a_calendar_event_not_both(pack: Path) -> None:
    out = _broken(pack, lambda d: d["missions"][0]["due"].update(event="payday"))
    assert "example/missions.yaml: missions[0].due: give either days or event" in out


def test_a_target_needs_a_number_to_be_reported(pack: Path) -> None:
    out = _broken(pack, lambda d: d["missions"][1].update(proof=["photo"]))
    assert "missions[1]: a target needs `number` among the proof kinds" in out


def test_two_missions_with_one_id(pack: Path) -> None:
    out = _broken(pack, lambda d: d["missions"][1].update(id="first-video"))
    assert "missions.yaml: missions: duplicate mission id first-video" in out


def test_shipped_packs_have_videos_live_and_twin_date_missions_in_both_languages() -> None:
    library = PackLibrary.load(discover_packs())
    for pack in library.packs.values():
        missions = list(pack.missions.values())
        assert len(missions) >= 4, pack.id
        assert any(m.required for m in missions)
        assert any(m.due.event == "twin_date" for m in missions)
        assert any(m.target is not None for m in missions)
        assert all(m.after in pack.modules for m in missions)
        for m in missions:
            assert m.title.id != m.title.en and m.proof_hint.id != m.proof_hint.en
    starter = library.packs["affiliate-starter"].missions
    assert ProofKind.LINK in starter["tiga-video"].proof
    assert ProofKind.PHOTO in starter["live-pertama"].proof
