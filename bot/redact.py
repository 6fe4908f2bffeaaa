"""Secrets never reach a log line: the bot token (libraries log it inside request URLs at
DEBUG), the webhook secret, and anything shaped like a bot token, at every level."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.config import Settings

# a Telegram bot token: the bot's numeric id, a colon, 35 URL-safe characters
# (no \b before it: in a request URL the token follows "/bot" with no word boundary)
_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")
HIDDEN = "[redacted]"
# secrets made at run time (a generated webhook secret), hidden by every installed filter
_RUNTIME: set[str] = set()


def hide(secret: str) -> None:
    """Hides `secret` from every log line from now on."""
    if len(secret) >= 6:
        _RUNTIME.add(secret)


class RedactSecrets(logging.Filter):
    """A handler filter: rewrites each record's message and traceback without secrets."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        # longest first, so a secret containing another is hidden whole
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str | None]) -> None:
        """Hides these too (a handler keeps one filter however often it is installed)."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= 6}
        self.secrets = sorted(known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in [*self.secrets, *sorted(_RUNTIME, key=len, reverse=True)]:
            text = text.replace(secret, HIDDEN)
        return _TOKEN.sub(HIDDEN, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what was given
            message = str(record.msg)
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str | None]:
    return [settings.telegram_token, settings.webhook_secret]


def install(settings: Settings, handlers: Iterable[logging.Handler] | None = None) -> None:
    """Adds the filter to the root logger's handlers (records of every library pass them)."""
    secrets = secrets_of(settings)
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        present = [f for f in handler.filters if isinstance(f, RedactSecrets)]
        if present:
            present[0].add(secrets)
        else:
            handler.addFilter(RedactSecrets(secrets))
