"""Imports every model module so the metadata knows all tables (for Alembic and tests)."""

from bot.storage import coach_models, faq_models, models  # noqa: F401
