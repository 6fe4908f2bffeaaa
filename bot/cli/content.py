"""`coachbot content …`: check content packs."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.config import Settings
from content.lint import warnings
from content.loader import Pack, PackInvalid, discover_packs, load_pack, load_ui_defaults
from handlers.kit.feature import live_answer
from handlers.registry import FEATURES

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
        problems = unknown_live_answers(pack, d)
        for problem in problems:
            typer.echo(problem, err=True)
        failed = failed or bool(problems)
        typer.echo(pack.summary())
        for warning in warnings(pack):
            typer.echo(warning, err=True)
    if failed:
        raise typer.Exit(1)


def unknown_live_answers(pack: Pack, root: Path) -> list[str]:
    """FAQ entries naming a live answer (`answer_from`) that no feature provides."""
    return [f"{root / 'faq.yaml'}: entries[{i}].answer_from: no feature provides "
            f"'{e.answer_from}'" for i, e in enumerate(pack.faq)
            if e.answer_from and live_answer(FEATURES, e.answer_from) is None]
