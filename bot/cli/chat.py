"""`coachbot run` and `coachbot chat`: serve partners on the configured channel."""

from __future__ import annotations

import sys

import typer

from bot.cli.common import run, setup_logging
from bot.config import Settings


async def _chat(settings: Settings, user: str, name: str | None) -> None:
    from bot.channels.console import ConsoleChannel
    from bot.runtime import background_services, build_app

    scripted = not sys.stdin.isatty()
    app = await build_app(settings)
    channel = ConsoleChannel(user, scripted=scripted, display_name=name)
    try:
        async with background_services(app, {channel.name: channel}):
            await channel.run(app.handle)
    finally:
        await app.db.dispose()


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(user: str = typer.Option("demo", help="Who you are in the chat"),
             name: str = typer.Option(None, help="Your profile name, offered during onboarding"),
             ) -> None:
        """Chats with the bot in the terminal (piped stdin: one message per line, #N presses
        button N)."""
        settings = Settings()
        setup_logging(settings, quiet=True)
        run(_chat(settings, user, name))

    @app.command("run")
    def run_bot() -> None:
        """Runs the bot: on Telegram when a token is configured, else the terminal chat."""
        settings = Settings()
        if settings.telegram_token:
            setup_logging(settings)
            from bot.channels.telegram_runner import run_telegram

            run(run_telegram(settings))
            return
        setup_logging(settings, quiet=True)
        run(_chat(settings, "demo", None))

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
