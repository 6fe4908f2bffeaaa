"""`coachbot nudges …`: look at what the bot will send a partner on its own, and when."""

from __future__ import annotations

import typer
from sqlalchemy import select

from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.core.timezones import local_time
from bot.runtime import load_library, open_database
from bot.storage.db import Database
from bot.storage.models import Partner
from handlers.registry import nudge_sources
from scheduler.planner import Planner

app = typer.Typer(help="Follow-up nudges and the outbox.", no_args_is_help=True)


async def _resolve(db: Database, who: str) -> list[tuple[int, str, str, str | None]]:
    cols = (Partner.id, Partner.channel, Partner.external_id, Partner.name)
    async with db.transaction() as s:
        found = list((await s.execute(select(*cols).where(Partner.external_id == who))).all())
        if who.isdigit():
            by_id = (await s.execute(select(*cols).where(Partner.id == int(who)))).all()
            found = [*by_id, *[f for f in found if f[0] not in {b[0] for b in by_id}]]
    return [(pid, ch, ext, name) for pid, ch, ext, name in found]


async def _preview(settings: Settings, who: str) -> int:
    library = load_library(settings)
    db = await open_database(settings)
    try:
        matches = await _resolve(db, who)
        if not matches:
            typer.echo(f"no partner with id or user id {who!r}", err=True)
            return 1
        if len(matches) > 1 and not (who.isdigit() and matches[0][0] == int(who)):
            typer.echo(f"{who!r} matches several partners; use the internal id:", err=True)
            for pid, ch, ext, name in matches:
                typer.echo(f"  {pid}  {ch}:{ext}  {name or ''}", err=True)
            return 1
        pid, channel, external, name = matches[0]
        preview = await Planner(db, library, settings, sources=nudge_sources()).preview(pid)
        assert preview is not None
        tz = preview.timezone
        typer.echo(f"partner {pid} ({channel}:{external}{', ' + name if name else ''}), "
                   f"time zone {tz}, quiet hours {settings.quiet_hours}")
        if preview.excluded:
            typer.echo(f"no nudges: {preview.excluded}")
        typer.echo("\npending in the outbox:")
        if not preview.pending:
            typer.echo("  (nothing)")
        for row in preview.pending:
            text = str(row.payload.get("text", "")).replace("\n", " ")
            typer.echo(f"  {local_time(row.due_at, tz)}  {row.kind:<8} {row.status:<8} "
                       f"{row.dedupe_key}\n      {text[:90]}")
        typer.echo("\nnudges the rules would plan next:")
        if not preview.planned:
            typer.echo("  (none)")
        for placed in preview.planned:
            n = placed.nudge
            typer.echo(f"  {local_time(placed.due_at, tz)}  {n.kind!s:<21} {n.reason}")
        return 0
    finally:
        await db.dispose()


@app.command("preview")
def preview(partner: str = typer.Argument(
        ..., help="The internal partner id, or the channel's user id (console --user name, "
                  "Telegram user id)")) -> None:
    """Shows a partner's pending outbox rows and the nudges the rules would plan next,
    each with its due time in the partner's own time zone and its reason."""
    settings = Settings()
    setup_logging(settings, quiet=True)
    code = run(_preview(settings, partner))
    if code:
        raise typer.Exit(code)


@app.command("plan")
def plan() -> None:
    """Runs one nudge planning pass now and says how many nudges it queued."""
    settings = Settings()
    setup_logging(settings, quiet=True)

    async def go() -> str:
        db = await open_database(settings)
        try:
            stats = await Planner(db, load_library(settings), settings).run_pass()
        finally:
            await db.dispose()
        return (f"{stats.partners} partners, {stats.planned} nudges planned, "
                f"{stats.cancelled} cancelled")

    typer.echo(run(go()))
