"""Imports every model module so the metadata knows all tables (for Alembic and tests)."""

from bot.storage import models  # noqa: F401
from bot.storage import coach_models  # noqa: F401
from bot.storage import faq_models  # noqa: F401
