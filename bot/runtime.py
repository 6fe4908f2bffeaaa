"""Builds the running pieces from settings: database, packs, the conversation core."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import CoachBot, prepare
from bot.config import Settings
from bot.core import Clock, OutboundChannel
from bot.ops.metrics import MeteredChannel
from bot.storage.db import Database
from bot.web import server as dashboard
from content.loader import PackLibrary, discover_packs
from handlers.kit.context import Services
from handlers.registry import FEATURES
from scheduler.service import SchedulerService

log = logging.getLogger(__name__)


def ensure_sqlite_dir(url: str) -> None:
    """Creates the folder of a SQLite file so a fresh checkout runs without set-up."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def load_library(settings: Settings) -> PackLibrary:
    dirs = discover_packs(Path(settings.packs_dir))
    return PackLibrary.load(dirs)


async def open_database(settings: Settings, migrate: bool = True) -> Database:
    ensure_sqlite_dir(settings.database_url)
    db = Database(settings.database_url)
    if migrate:
        await db.migrate()
    return db


async def build_app(settings: Settings, clock: Clock | None = None,
                    db: Database | None = None) -> CoachBot:
    library = load_library(settings)
    db = db or await open_database(settings)
    log.info("packs loaded: %s; database: %s", ", ".join(library.packs),
             db.engine.url.render_as_string(hide_password=True))
    services = Services()
    prepare(FEATURES, library, settings, services)
    return CoachBot(db, library, settings, clock=clock, services=services)


@asynccontextmanager
async def background_services(app: CoachBot, channels: dict[str, OutboundChannel], *,
                              schedule: bool = True, dispatch: bool = True
                              ) -> AsyncIterator[None]:
    """Runs what works beside the chat (scheduler, dispatcher, the coaches' dashboard) for as
    long as the bot runs.

    Every runner (console, Telegram, WhatsApp) wraps its serving loop in this. `schedule`
    (the planner and jobs, in the leading process) and `dispatch` (the outbox) follow the
    process's role.
    """
    async with dashboard.beside(app), _scheduler(app, channels, schedule, dispatch):
        yield


@asynccontextmanager
async def _scheduler(app: CoachBot, channels: dict[str, OutboundChannel], schedule: bool,
                     dispatch: bool) -> AsyncIterator[None]:
    if not app.settings.scheduler_enabled or not (schedule or dispatch):
        yield
        return
    channels = {name: MeteredChannel(ch) for name, ch in channels.items()}
    # a console process is one user's terminal: it only delivers that user's messages
    only = {name: str(getattr(ch, "user", "")) for name, ch in channels.items()
            if name == "console" and getattr(ch, "user", None)}
    service = SchedulerService.for_app(app, channels, only_chats=only, schedule=schedule,
                                       dispatch=dispatch)
    await service.start()
    try:
        yield
    finally:
        await service.stop()
