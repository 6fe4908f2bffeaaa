"""An admin from the configuration and a coach she made (tests.fixtures.coaching)."""

from tests.fixtures.coaching import admin, coach, settings

__all__ = ["admin", "coach", "settings"]
