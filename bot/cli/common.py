"""Shared CLI plumbing: settings, logging, running a coroutine, clean errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer

from bot import loop, redact
from bot.config import Settings
from bot.ops.logs import json_handler
from content.loader import PackInvalid

T = TypeVar("T")


def setup_logging(settings: Settings, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level.upper(),
                                                  logging.INFO)
    if settings.log_format.strip().lower() == "json":
        logging.basicConfig(level=level, handlers=[json_handler(sys.stderr)])
    else:
        logging.basicConfig(level=level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact.install(settings)


def run(coro: Coroutine[Any, Any, T], event_loop: str = "auto") -> T:
    """Runs a coroutine; an invalid pack or configuration ends with one clear message."""
    try:
        return loop.run(coro, event_loop)
    except PackInvalid as exc:
        typer.echo("content pack is invalid:", err=True)
        for err in exc.errors:
            typer.echo(f"  {err}", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
