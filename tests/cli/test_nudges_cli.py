"""`coachbot nudges preview`, the way a coach checks what the bot will send a partner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()



def test_preview_shows_the_next_nudges_in_the_partners_zone_with_reasons(env: Path) -> None:
    # Rina onboards in WIB and stops at the reflective question of the first module
    script = "/start\n#2\nRina\n#3\n#1\n#4\n#5\n#1\n#1\n"
    chat = runner.invoke(app, ["chat", "--user", "rina"], input=script)
    assert chat.exit_code == 0, chat.output
    assert "Why did you join" in chat.output

    result = runner.invoke(app, ["nudges", "preview", "rina"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "time zone Asia/Jakarta" in out
    assert "pending in the outbox:\n  (nothing)" in out
    assert "stalled in module basics at step why" in out
    assert "no activity for 7 days" in out
    assert " WIB " in out

    by_id = runner.invoke(app, ["nudges", "preview", "1"])
    assert by_id.exit_code == 0 and "stalled in module basics" in by_id.output


def test_preview_of_someone_unknown_says_so(env: Path) -> None:
    runner.invoke(app, ["migrate"])
    result = runner.invoke(app, ["nudges", "preview", "nobody"])
    assert result.exit_code == 1
    assert "no partner with id or user id 'nobody'" in result.output


def test_stop_in_the_console_turns_nudges_off(env: Path) -> None:
    script = "/start\n#2\nRina\n#3\n#1\n#4\n#5\n/stop\n#1\n"
    chat = runner.invoke(app, ["chat", "--user", "rina"], input=script)
    assert "won't send you reminders" in chat.output, chat.output
    result = runner.invoke(app, ["nudges", "preview", "rina"])
    assert "no nudges: opted out (/stop)" in result.output
