"""coachbot runs on uvloop where it is installed; the standard loop stays one setting away."""

from __future__ import annotations

import asyncio
import importlib.util
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import loop
from bot.cli import app


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop not installed")
def test_auto_runs_on_uvloop_when_it_is_installed() -> None:
    assert loop.run(_loop_module(), "auto").startswith("uvloop")
    assert loop.run(_loop_module(), "UVLOOP").startswith("uvloop")


def test_asyncio_keeps_the_standard_loop() -> None:
    assert loop.run(_loop_module(), "asyncio").startswith("asyncio")


def test_an_unknown_loop_is_one_clear_error_not_a_stray_coroutine() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine was never awaited" would fail here
        with pytest.raises(ValueError, match="COACHBOT_EVENT_LOOP must be one of"):
            loop.run(_loop_module(), "trio")


def test_coachbot_run_names_a_wrong_event_loop_setting(env: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACHBOT_EVENT_LOOP", "twisted")
    result = CliRunner().invoke(app, ["run"], input="")
    assert result.exit_code == 2
    assert "COACHBOT_EVENT_LOOP must be one of auto, uvloop, asyncio" in result.output
