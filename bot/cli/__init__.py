"""The `coachbot` command: the single entry point (typer)."""

from __future__ import annotations

import typer

import bot.cli.coach as coach_cli
import bot.cli.export  # noqa: F401  (adds `partners export`)
from bot.cli import chat, cohort, content, faq, nudges

app = typer.Typer(help="coachbot: a coaching assistant in the messaging apps partners use.",
                  no_args_is_help=True, add_completion=False)
chat.register(app)
coach_cli.register(app)
app.add_typer(content.app, name="content")
app.add_typer(cohort.app, name="cohort")
app.add_typer(faq.app, name="faq")
app.add_typer(nudges.app, name="nudges")


def main() -> None:
    app()
