"""The terminal chat as a partner or coach types into it: Markdown shown as styles, buttons
numbered from 1 on every message, earlier buttons still pressable, labels typed as text."""

from __future__ import annotations

import io
from pathlib import Path

from typer.testing import CliRunner

from bot.channels.console import ConsoleChannel
from bot.cli import app
from bot.core import Button, InboundKind, Reply, rows

runner = CliRunner()


def channel() -> tuple[ConsoleChannel, io.StringIO]:
    out = io.StringIO()
    return ConsoleChannel("sari", out=out, scripted=True), out


async def test_every_message_numbers_its_buttons_from_one_and_old_ones_stay_pressable(
        ) -> None:
    console, out = channel()
    await console.send("sari", Reply("Webinar tonight! Coming?",
                                     rows(Button("✅ I'll be there", "rsvp:y"),
                                          Button("🙅 Can't make it", "rsvp:n"))))
    console.show(Reply("Your modules", rows(Button("📘 Program basics", "open:basics"))))
    shown = out.getvalue()
    assert "--- coachbot 🔔 #1" in shown and "--- coachbot #2" in shown
    assert "[1] ✅ I'll be there   [2] 🙅 Can't make it" in shown
    assert "[1] 📘 Program basics" in shown and "[2] 📘" not in shown

    pressed = console.parse("1")
    assert pressed is not None and pressed.payload == "open:basics"
    rsvp = console.parse("#1.1")
    assert rsvp is not None and rsvp.payload == "rsvp:y"
    assert console.parse("#1.3") is None and "(no button #1.3)" in out.getvalue()


async def test_a_typed_label_presses_its_button_and_other_text_stays_text() -> None:
    console, _ = channel()
    console.show(Reply("Which time zone?", rows(
        Button("WIB (Java, Sumatra, West & Central Kalimantan)", "tz:wib"),
        Button("WITA (Bali, Nusa Tenggara, Sulawesi)", "tz:wita"))))
    wib = console.parse("wib")
    assert wib is not None and wib.kind is InboundKind.BUTTON and wib.payload == "tz:wib"
    text = console.parse("I live in Bali")
    assert text is not None and text.kind is InboundKind.TEXT
    console.show(Reply("What should I call you?"))
    after = console.parse("wib")
    assert after is not None and after.kind is InboundKind.TEXT, "an older question's label"


def test_the_scripted_chat_shows_styles_not_markup_and_takes_a_typed_time_zone(
        env: Path) -> None:
    script = "/start\nEnglish\nRina\n#3\nwib\n"
    result = runner.invoke(app, ["chat", "--user", "rina"], input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(1/2) How much do you agree?" in out, "'wib' chose the time zone"
    assert "I understand how the program works." in out
    assert "*I understand how the program works.*" not in out, "bold, not asterisks"


def test_the_console_coach_sees_examples_without_backticks(env: Path) -> None:
    result = runner.invoke(app, ["chat", "--coach"], input="/webinar\nLive selling\n")
    assert result.exit_code == 0, result.output
    assert "misalnya 25/11/2026 19:00" in result.output  # the coaches' language: id
    assert "`" not in result.output
