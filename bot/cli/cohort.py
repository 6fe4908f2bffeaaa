"""`coachbot cohort …`: cohorts and their join codes."""

from __future__ import annotations

import typer

from bot.cli.common import run
from bot.config import Settings
from bot.core import SystemClock
from bot.runtime import load_library, open_database
from bot.storage.repos import CohortRepo

app = typer.Typer(help="Cohorts.", no_args_is_help=True)


@app.command("create")
def create(name: str, pack: str = typer.Option(None, help="Pack id (default pack if omitted)"),
           code: str = typer.Option(None, help="Join code (random if omitted)")) -> None:
    """Creates a cohort and prints its join code (use it as /start CODE)."""
    settings = Settings()
    pack_id = pack or settings.default_pack
    library = load_library(settings)
    if pack_id not in library.packs:
        typer.echo(f"unknown pack '{pack_id}' (packs: {', '.join(library.packs)})", err=True)
        raise typer.Exit(2)

    async def go() -> str:
        db = await open_database(settings)
        try:
            async with db.transaction() as s:
                if code and await CohortRepo(s).by_code(code):
                    raise ValueError(f"code '{code}' is already used")
                cohort = await CohortRepo(s).create(name, pack_id, SystemClock().now(), code)
                return cohort.code
        finally:
            await db.dispose()

    typer.echo(run(go()))


@app.command("list")
def list_() -> None:
    """Lists cohorts with their pack and code."""
    settings = Settings()

    async def go() -> list[tuple[str, str, str]]:
        db = await open_database(settings)
        try:
            async with db.transaction() as s:
                return [(c.name, c.pack_id, c.code) for c in await CohortRepo(s).all()]
        finally:
            await db.dispose()

    for name, pack_id, c in run(go()):
        typer.echo(f"{c}\t{pack_id}\t{name}")
