"""`coachbot run` and `coachbot chat`: serve partners on the configured channels."""

from __future__ import annotations

import typer

from bot.cli.common import run, setup_logging
from bot.config import Settings


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
        setup_logging(settings, quiet=True)
        if coach:
            from handlers.tickets import CONSOLE_COACH_CHAT

            user = settings.coach_chat_id or CONSOLE_COACH_CHAT
        from bot.channels.console import serve

        run(serve(settings, user, name, coach), settings.event_loop)

    @app.command("run")
    def run_bot() -> None:
        """Runs the bot on every channel configured (Telegram when a token is set), else the
        terminal chat."""
        from bot.channels import CHANNELS, FALLBACK, network_channels

        settings = Settings()
        network = network_channels(settings)
        if network:
            from bot.channels.serving import serve_network

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
        from bot.runtime import open_database

        settings = Settings()
        setup_logging(settings)

        async def go() -> None:
            db = await open_database(settings)
            await db.dispose()

        run(go())
        typer.echo("database is up to date")
