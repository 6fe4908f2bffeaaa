"""The coach features from the terminal: coach add, roster import, webinar, broadcast, report."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()



def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_admin_adds_a_coach_from_the_cli(env: Path) -> None:
    assert "telegram:555 is now coach (new)" in ok("coach", "add", "555", "--name", "Rina")
    assert "coach\ttelegram:555\tRina" in ok("coach", "list")
    assert "is now partner" in ok("coach", "remove", "telegram:555")
    bad = runner.invoke(app, ["coach", "add", "fax:1"])
    assert bad.exit_code == 2


def test_roster_import_reports_bad_lines_and_imports_the_rest(env: Path) -> None:
    csv = env / "roster.csv"
    csv.write_text("channel,external_id,chat_id,name,language,timezone,cohort\n"
                   "telegram,1001,1001,Sari,id,WITA,batch1\n"
                   "telegram,1002,1002,Budi,klingon,WIB,batch1\n", encoding="utf-8")
    result = runner.invoke(app, ["partners", "import", str(csv)])
    assert result.exit_code == 1
    assert "roster.csv:3: language 'klingon' is not id or en" in result.output
    assert "created=1 updated=0 unchanged=0 errors=1" in result.output
    csv.write_text("channel,external_id,chat_id,name,language,timezone,cohort\n"
                   "telegram,1001,1001,Sari Dewi,id,WITA,batch1\n", encoding="utf-8")
    assert "created=0 updated=1" in ok("partners", "import", str(csv))


def test_webinar_and_broadcast_and_report_from_the_cli(env: Path) -> None:
    csv = env / "roster.csv"
    csv.write_text("channel,external_id,chat_id,name,language,timezone,cohort\n"
                   "telegram,1001,1001,Sari,id,WITA,batch1\n"
                   "telegram,1002,1002,Budi,en,WIB,batch2\n", encoding="utf-8")
    ok("partners", "import", str(csv))
    out = ok("webinar", "create", "--title", "Live selling", "--at", "2099-01-10 19:00",
             "--link", "https://zoom.us/j/1", "--audience", "cohort:batch1")
    assert "webinar #1 announced to 1 partners" in out
    assert "#1\t10-01-2099 19:00 WIB\tcohort:batch1\tyes=0\tLive selling" in ok("webinar",
                                                                              "list")
    assert "yes=0 no=0" in ok("webinar", "attendance", "1")
    assert "webinar #1 moved; 0 attendees told" in ok("webinar", "move", "1", "--at",
                                                      "2099-01-11 19:00")
    assert "webinar #1 cancelled" in ok("webinar", "cancel", "1")
    past = runner.invoke(app, ["webinar", "create", "--title", "x", "--at", "2001-01-01 10:00",
                               "--link", "https://zoom.us/j/1"])
    assert past.exit_code == 2 and "already passed" in past.output

    out = ok("broadcast", "send", "--segment", "all", "--text", "Halo semua", "--no-wait",
             "--yes")
    assert "broadcast #1: 2 partners" in out
    assert ok("broadcast", "status", "1").startswith("sent=0 blocked=0 failed=0 pending=2")
    assert "2 unsent messages dropped" in ok("broadcast", "cancel", "1")
    bad = runner.invoke(app, ["broadcast", "send", "--segment", "cohort:nope", "--text", "x"])
    assert bad.exit_code == 2 and "no cohort with code 'nope'" in bad.output
    no_token = runner.invoke(app, ["broadcast", "send", "--segment", "all", "--text", "x",
                                   "--dispatch"])
    assert no_token.exit_code == 2 and "COACHBOT_TELEGRAM_TOKEN" in no_token.output

    report_csv = env / "report.csv"
    out = ok("report", "--csv", str(report_csv))
    assert "batch1" in out and "batch2" in out
    assert "Program basics" in out and "Readiness quiz" in out, "items by their titles"
    assert "batch1,partners,,1,," in report_csv.read_text(encoding="utf-8")
    assert runner.invoke(app, ["report", "--cohort", "nope"]).exit_code == 2


def two_partners_one_blocked(env: Path) -> None:
    csv = env / "roster.csv"
    csv.write_text("channel,external_id,chat_id,name,language,timezone,cohort\n"
                   "telegram,1001,1001,Sari,id,WITA,batch1\n"
                   "telegram,1002,1002,Budi,en,WIB,batch1\n"
                   "telegram,1003,1003,Dewi,id,WIB,batch2\n", encoding="utf-8")
    ok("partners", "import", str(csv))
    url = f"sqlite:///{env}/cli.sqlite3"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("UPDATE partners SET blocked = 1 WHERE external_id = '1003'")


def test_the_cli_shows_who_gets_a_broadcast_and_asks_first(env: Path) -> None:
    two_partners_one_blocked(env)
    said_no = runner.invoke(app, ["broadcast", "send", "--segment", "all", "--text",
                                  "Halo semua", "--no-wait"], input="n\n")
    assert said_no.exit_code == 1 and "not sent" in said_no.output
    assert "to: everyone — 2 partners" in said_no.output
    assert "2 in batch1 · Example pack" in said_no.output
    assert "warning: 1 more partners match but cannot be reached" in said_no.output
    assert "Halo semua" in said_no.output
    assert "no broadcast" in runner.invoke(app, ["broadcast", "status", "1"]).output

    said_yes = runner.invoke(app, ["broadcast", "send", "--segment", "all", "--text",
                                   "Halo semua", "--no-wait"], input="y\n")
    assert said_yes.exit_code == 0 and "broadcast #1: 2 partners" in said_yes.output


def test_with_no_bot_sending_the_cli_says_so_instead_of_waiting(env: Path) -> None:
    two_partners_one_blocked(env)
    result = runner.invoke(app, ["broadcast", "send", "--segment", "cohort:batch1", "--text",
                                 "Halo", "--yes", "--idle-hint", "0.5"])
    assert result.exit_code == 1
    assert "no running bot is sending it" in result.output
    assert "coachbot run" in result.output and "--dispatch" in result.output
    assert "pending=2" in ok("broadcast", "status", "1"), "the messages stay queued"


def test_a_coach_looks_up_one_partner_from_the_cli(env: Path) -> None:
    two_partners_one_blocked(env)
    out = ok("partner", "show", "sari")
    assert "Sari (telegram:1001) · #1" in out
    assert "cohort: batch1 · pack: Example pack" in out
    assert "I understand how the program works.: - -> -" in out
    blocked = ok("partner", "show", "telegram:1003")
    assert "cannot be reached: blocked the bot or no chat" in blocked
    several = runner.invoke(app, ["partner", "show", "i"])  # Sari, Budi, Dewi
    assert several.exit_code == 1 and "3 partners match" in several.output
    assert runner.invoke(app, ["partner", "show", "nobody"]).exit_code == 2
