"""`coachbot partners export WHO`: everything stored about one partner, as JSON (the same
document `/mydata file` sends them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from bot.app import KNOWN_CHANNELS, build_router
from bot.cli.coach import _fail, _in_tx, _library, _settings, partners_app
from bot.core import Inbound, SystemClock
from bot.storage.repos import Repos
from handlers.coaches.roles import parse_who
from handlers.kit.context import Context, Services
from handlers.privacy.chat import export
from handlers.registry import FEATURES


@partners_app.command("export")
def partners_export(who: str = typer.Argument(..., help="telegram:12345, or the partner's "
                                                        "number in the database"),
                    out: Path = typer.Option(None, "--out", "-o",
                                             help="write to this file instead of stdout")
                    ) -> None:
    """Exports everything stored about one partner as JSON (a data-access request)."""
    settings = _settings()
    library = _library(settings)

    async def go(repos: Repos) -> dict[str, Any] | None:
        if who.isdigit():
            partner = await repos.partners.by_id(int(who))
        else:
            named = parse_who(who, "telegram", KNOWN_CHANNELS)
            partner = await repos.partners.get(*named) if named else None
        if partner is None:
            return None
        ctx = Context(partner=partner, repos=repos, library=library, clock=SystemClock(),
                      settings=settings, services=Services(),
                      inbound=Inbound.from_text(partner.channel, partner.external_id,
                                                "/mydata file", chat_id=partner.chat_id),
                      router=build_router(FEATURES), features=FEATURES,
                      channels=KNOWN_CHANNELS)
        return await export(ctx)

    data = _in_tx(settings, go)
    if data is None:
        _fail(f"no partner {who!r}")
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"written: {out}")
