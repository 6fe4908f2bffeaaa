"""`coachbot content …`: check content packs."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.config import Settings
from content.lint import warnings
from content.loader import PackInvalid, discover_packs, load_pack, load_ui_defaults

app = typer.Typer(help="Content packs.", no_args_is_help=True)


@app.command("check")
def check(dirs: list[Path] = typer.Argument(None, help="Pack folders (default: all packs).")
          ) -> None:
    """Validates packs; prints one summary line per pack, or every problem found."""
    targets = list(dirs) if dirs else discover_packs(Path(Settings().packs_dir))
    if not targets:
        typer.echo("no content packs found", err=True)
        raise typer.Exit(1)
    failed = False
    ui = load_ui_defaults()
    for d in targets:
        try:
            pack = load_pack(d, ui)
        except PackInvalid as exc:
            failed = True
            for err in exc.errors:
                typer.echo(str(err), err=True)
            continue
        typer.echo(pack.summary())
        for warning in warnings(pack):
            typer.echo(warning, err=True)
    if failed:
        raise typer.Exit(1)
