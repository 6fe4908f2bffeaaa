"""FAQ and ticket fixtures: the engine on a small FAQ, a coach beside the partner."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from content.loader import PackLibrary
from handlers.faq.engine import FaqIndex, load_faq_file
from tests.fixtures.chat import Chat

HERE = Path(__file__).parent
SAMPLE_FAQ = HERE / "sample_faq.yaml"


@pytest.fixture(scope="session")
def sample_index() -> FaqIndex:
    return FaqIndex(load_faq_file(SAMPLE_FAQ))


@pytest.fixture
def coach(bot: CoachBot) -> Chat:
    """The coaches' chat on the console (what `coachbot chat --coach` is)."""
    return Chat(bot, user="coaches", display_name="Dewi")


def make_bot(database: Database, library: PackLibrary, settings: Settings,
             clock: FixedClock, **overrides: object) -> CoachBot:
    return CoachBot(database, library, settings.model_copy(update=overrides), clock=clock)
