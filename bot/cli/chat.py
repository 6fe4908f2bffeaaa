"""`coachbot run` and `coachbot chat`: serve partners on the configured channel."""

from __future__ import annotations

import sys

import typer

from bot.cli.common import run, setup_logging
from bot.config import Settings


async def _chat(settings: Settings, user: str, name: str | None, coach: bool = False) -> None:
    from bot.channels.console import ConsoleChannel
    from bot.runtime import background_services, build_app

    scripted = not sys.stdin.isatty()
    app = await build_app(settings)
    if coach:  # the coaches' chat on the console: tickets arrive here
        from handlers.tickets import enroll_console_coach

        await enroll_console_coach(app, user, name)
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
        run(_chat(settings, user, name, coach), settings.event_loop)

    @app.command("run")
    def run_bot() -> None:
        """Runs the bot: on Telegram when a token is configured, else the terminal chat."""
        settings = Settings()
        if settings.telegram_token:
            setup_logging(settings)
            from bot.channels.telegram.runner import run_telegram

            run(run_telegram(settings), settings.event_loop)
            return
        setup_logging(settings, quiet=True)
        run(_chat(settings, "demo", None), settings.event_loop)

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
