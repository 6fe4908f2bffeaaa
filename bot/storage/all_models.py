"""Imports every model module so the metadata knows all tables (for Alembic and tests)."""

from bot.storage import models  # noqa: F401
