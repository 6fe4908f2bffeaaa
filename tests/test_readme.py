"""The README documents every setting and both set-up commands."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_variable() -> None:
    missing = [name for name in Settings.model_fields
               if f"`COACHBOT_{name.upper()}`" not in README]
    assert missing == []


def test_readme_shows_the_two_setup_commands() -> None:
    assert "make run" in README and "make test" in README
