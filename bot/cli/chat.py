"""`coachbot run` and `coachbot chat`: serve partners on the configured channels."""

from __future__ import annotations

import typer

from bot.channels import CHANNELS, FALLBACK, console, network_channels
from bot.channels.serving import serve_network
from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.ops.roles import Role, serve_role
from bot.runtime import open_database
from handlers.kit.context import CONSOLE_COACH_CHAT


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(user: str = typer.Option("demo", help="Who you are in the chat"),
             name: str = typer.Option(None, help="Your profile name, offered during onboarding"),
             coach: bool = typer.Option(False, "--coach", help="Be the coaches' chat: receive "
                                        "tickets, answer with /reply <ticket> <text>"),
             ) -> None:
        """Chats with the bot in the terminal (piped stdin: one message per line, #N presses
        button N)."""
        settings = Settings()
        settings.dashboard_enabled = False  # one person's terminal; `coachbot run` serves it
        setup_logging(settings, quiet=True)
        if coach:
            user = settings.coach_chat_id or CONSOLE_COACH_CHAT
        run(console.serve(settings, user, name, coach), settings.event_loop)

    @app.command("run")
    def run_bot(role: Role = typer.Option(
            Role.ALL, "--role", help="What this process does: all (everything), web (takes "
            "updates), worker (sends the outbox), scheduler (outbox, plus the schedule when "
            "it holds the lead)")) -> None:
        """Runs the bot on every channel configured (Telegram when a token is set), else the
        terminal chat."""
        settings = Settings()
        if role is not Role.ALL:
            setup_logging(settings)
            run(serve_role(settings, role), settings.event_loop)
            return
        network = network_channels(settings)
        if network:
            setup_logging(settings)
            run(serve_network(settings, network), settings.event_loop)
            return
        serve = CHANNELS[FALLBACK].serve
        assert serve is not None
        setup_logging(settings, quiet=True)
        run(serve(settings), settings.event_loop)

    @app.command("migrate")
    def migrate() -> None:
        """Brings the database schema up to date (Alembic)."""
        settings = Settings()
        setup_logging(settings)

        async def go() -> None:
            db = await open_database(settings)
            await db.dispose()

        run(go())
        typer.echo("database is up to date")
