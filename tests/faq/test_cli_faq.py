"""`coachbot faq ask|eval|gaps`, the engine's evaluation interface."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import EXAMPLE_PACKS
from tests.faq.conftest import SAMPLE_FAQ

runner = CliRunner()
SUMMARY = re.compile(r"^top1=\d\.\d{3} oos_reject=\d\.\d{3} p50_ms=\d+\.\d{2} "
                     r"p99_ms=\d+\.\d{2} cases=\d+$")



def test_ask_prints_entry_confidence_and_answer(env: Path) -> None:
    result = runner.invoke(app, ["faq", "ask", "--faq", str(SAMPLE_FAQ), "--lang", "en",
                                 "lupa pw akun"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "forgot-password"
    assert re.match(r"confidence=0\.\d{3} band=answer", lines[1])
    assert "Forgot password" in result.output


def test_ask_out_of_scope_prints_none(env: Path) -> None:
    result = runner.invoke(app, ["faq", "ask", "--pack", str(EXAMPLE_PACKS / "example"),
                                 "resep nasi goreng"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "none"


def test_eval_prints_misses_and_one_summary_line(env: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "cases:\n"
        "  - {q: 'gmn kalo lupa pw', lang: id, expect: forgot-password}\n"
        "  - {q: 'kpn komisi cair', lang: id, expect: payout-schedule}\n"
        "  - {q: 'resep rendang', lang: id, expect: null}\n"
        "  - {q: 'lupa pw', lang: en, expect: twin-dates}\n", encoding="utf-8")
    result = runner.invoke(app, ["faq", "eval", "--faq", str(SAMPLE_FAQ), "--cases",
                                 str(cases)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert lines[-1].startswith("top1=0.667 oos_reject=1.000") and lines[-1].endswith("cases=4")
    assert any(line.startswith("MISS expect=twin-dates") for line in lines[:-1])


def test_eval_on_the_example_pack(env: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text("cases: [{q: 'forgot my pasword', lang: en, expect: forgot-password}]\n",
                     encoding="utf-8")
    result = runner.invoke(app, ["faq", "eval", "--pack", str(EXAMPLE_PACKS / "example"),
                                 "--cases", str(cases)])
    assert result.output.splitlines()[-1].startswith("top1=1.000")


def test_eval_refuses_a_missing_faq(env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["faq", "eval", "--faq", str(tmp_path / "nope.yaml"),
                                 "--cases", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2


def test_gaps_groups_what_the_bot_could_not_answer(env: Path) -> None:
    script = ("/start\n#2\nRina\n#3\n#1\n#4\n#5\n"
              "cara jadi coach gmn\ngimana cara jadi coach?\nresep rendang\n"
              "lupa kata sandi\n#2\n")
    chat = runner.invoke(app, ["chat", "--user", "rina"], input=script)
    assert chat.exit_code == 0, chat.output
    result = runner.invoke(app, ["faq", "gaps"])
    assert result.exit_code == 0, result.output
    assert "4 questions in 3 groups" in result.output
    assert "2× 'cara jadi coach gmn'" in result.output
    assert "matched: forgot-password×1" in result.output
    assert "closest entry: forgot-password (1 of 1," in result.output
    assert "coachbot faq add --pack example --entry forgot-password" in result.output


def test_the_coach_console_answers_a_partners_ticket(env: Path) -> None:
    partner = runner.invoke(app, ["chat", "--user", "rina"],
                            input="/start\n#2\nRina\n#3\n#1\n#4\n#5\n/coach akunku diblokir\n")
    assert "ticket #1" in partner.output, partner.output
    coach = runner.invoke(app, ["chat", "--coach", "--name", "Dewi"],
                          input="/tickets\n/reply 1 Coba kirim screenshot ya\n")
    assert coach.exit_code == 0, coach.output
    assert "#1 · Rina" in coach.output and "akunku diblokir" in coach.output
    assert "Terkirim ke Rina (tiket #1)" in coach.output
