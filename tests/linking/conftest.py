"""The coaches' chat on the console, as in the FAQ tests (tests.faq.conftest)."""

from tests.faq.conftest import coach

__all__ = ["coach"]
