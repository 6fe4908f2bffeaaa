"""The `coachbot` command: the single entry point (typer)."""

from __future__ import annotations

import typer

import bot.cli.coach as coach_cli
import bot.cli.export  # noqa: F401  (adds `partners export`)
from bot.cli import chat, cohort, content, dashboard, faq, nudges
from bot.cli import missions as missions_cli
from bot.cli import partner as partner_cli

app = typer.Typer(help="coachbot: a coaching assistant in the messaging apps partners use.",
                  no_args_is_help=True, add_completion=False)
chat.register(app)
coach_cli.register(app)
app.add_typer(content.app, name="content")
app.add_typer(cohort.app, name="cohort")
app.add_typer(faq.app, name="faq")
app.add_typer(nudges.app, name="nudges")
app.add_typer(partner_cli.app, name="partner")
app.add_typer(missions_cli.app, name="missions")
app.add_typer(missions_cli.cert_app, name="cert")
app.add_typer(dashboard.app, name="dashboard")


def main() -> None:
    app()
