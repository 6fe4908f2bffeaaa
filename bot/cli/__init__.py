"""The `coachbot` command: the single entry point (typer)."""

from __future__ import annotations

import typer

from bot.cli import chat, cohort, content

app = typer.Typer(help="coachbot: a coaching assistant in the messaging apps partners use.",
                  no_args_is_help=True, add_completion=False)
chat.register(app)
app.add_typer(content.app, name="content")
app.add_typer(cohort.app, name="cohort")


def main() -> None:
    app()
