"""`coachbot dashboard link|serve`: a coach's sign-in link; the dashboard on its own."""

from __future__ import annotations

import asyncio
import signal

import typer

from bot.app import KNOWN_CHANNELS
from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.core import SystemClock
from bot.runtime import build_app, open_database
from bot.storage.repos import Repos
from bot.web import server
from handlers.coaches.roles import parse_who
from handlers.dashboard.links import LINK_LIFETIME, LinkRepo, login_url
from handlers.kit.context import COACH_ROLES

app = typer.Typer(help="The coaches' web dashboard.", no_args_is_help=True)


@app.command("link")
def link(coach: str = typer.Option(..., "--coach",
                                   help="[channel:]user id of the coach, e.g. telegram:12345"),
         channel: str = typer.Option("telegram", help="Channel when WHO has none")) -> None:
    """Prints a one-time sign-in link for a coach (the last line), valid 10 minutes."""
    settings = Settings()
    setup_logging(settings, quiet=True)
    who = parse_who(coach, channel, KNOWN_CHANNELS)
    if who is None:
        typer.echo(f"error: '{coach}' is not [channel:]user id "
                   f"(channels: {', '.join(sorted(KNOWN_CHANNELS))})", err=True)
        raise typer.Exit(2)

    async def go() -> str | None:
        db = await open_database(settings)
        try:
            async with db.transaction() as session:
                repos = Repos(session)
                rec = await repos.partners.get(*who)
                if rec is None or rec.role not in COACH_ROLES:
                    return None
                return await repos.get(LinkRepo).make(rec.id, SystemClock().now())
        finally:
            await db.dispose()

    token = run(go())
    if token is None:
        typer.echo(f"error: {who[0]}:{who[1]} is not a coach (coachbot coach add "
                   f"{who[0]}:{who[1]})", err=True)
        raise typer.Exit(1)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    typer.echo(f"one-time link for {who[0]}:{who[1]}, valid {minutes} minutes:")
    typer.echo(login_url(settings.dashboard_base_url, token))


@app.command("serve")
def serve() -> None:
    """Serves the dashboard alone (the bot runs in other processes), until Ctrl-C."""
    settings = Settings()
    setup_logging(settings)

    async def go() -> None:
        bot = await build_app(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await server.serve(bot, stop)
        finally:
            await bot.db.dispose()

    typer.echo(f"dashboard at {settings.dashboard_base_url} (Ctrl-C stops)")
    run(go(), settings.event_loop)
