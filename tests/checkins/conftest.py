"""A partner the bot checks in with: the nudge planner and dispatcher beside the chat."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary
from handlers.registry import nudge_sources
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner
from tests.scheduler.fakes import RecordingChannel


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def planner(database: Database, library: PackLibrary, settings: Settings,
            clock: FixedClock) -> Planner:
    return Planner(database, library, settings, clock, sources=nudge_sources())


@pytest.fixture
def dispatcher(database: Database, channel: RecordingChannel, clock: FixedClock,
               planner: Planner) -> Dispatcher:
    return Dispatcher(database, {"console": channel}, clock, rate=None, chat_interval=0,
                      validators=[planner.validator()])
