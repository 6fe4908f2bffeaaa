"""The terminal chat and the CLI, driven the way a coach or partner uses them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()



def test_a_scripted_journey_through_the_console(env: Path) -> None:
    script = "/start\n#2\nRina\n#3\n#1\n#4\n#5\n#1\n#1\nMau tambah penghasilan\n/progress\n"
    result = runner.invoke(app, ["chat", "--user", "rina"], input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[1] Bahasa Indonesia   [2] English" in out
    assert "Nice to meet you, Rina!" in out
    assert "Your modules" in out
    assert "Thank you for sharing, Rina" in out
    assert "0/2 modules finished" in out


def test_cohort_code_from_the_cli_puts_a_partner_in_the_cohort(env: Path) -> None:
    created = runner.invoke(app, ["cohort", "create", "Batch Makassar", "--pack", "example"])
    assert created.exit_code == 0, created.output
    code = created.output.strip()
    assert len(code) >= 6
    result = runner.invoke(app, ["chat", "--user", "andi"], input=f"/start {code}\n")
    assert "Batch Makassar" in result.output
    listed = runner.invoke(app, ["cohort", "list"])
    assert code in listed.output and "Batch Makassar" in listed.output


def test_unknown_cohort_code_still_lets_the_partner_start(env: Path) -> None:
    result = runner.invoke(app, ["chat", "--user", "andi"], input="/start NOPE123\n")
    assert "NOPE123" in result.output and "Bahasa Indonesia" in result.output


def test_cohort_for_an_unknown_pack_is_refused(env: Path) -> None:
    result = runner.invoke(app, ["cohort", "create", "X", "--pack", "nope"])
    assert result.exit_code == 2 and "unknown pack 'nope'" in result.output


def test_migrate_command(env: Path) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0 and "up to date" in result.output
