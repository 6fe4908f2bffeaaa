"""Text any database stores: no NUL (PostgreSQL refuses it) and no lone surrogates (neither
UTF-8 nor a driver can encode them; a JSON body may still carry one as `\\ud800`)."""

from __future__ import annotations

import dataclasses
import re

from bot.core.messages import Inbound

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with NULs removed and each lone surrogate replaced by U+FFFD."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def storable_inbound(msg: Inbound) -> Inbound:
    """`msg` with every text field storable (a message that needs nothing is returned as is)."""
    changes: dict[str, str] = {}
    for field in ("text", "command", "args", "payload", "display_name", "language_hint",
                  "user_id", "chat_id", "update_id", "message_ref", "reply_to_ref"):
        value = getattr(msg, field)
        if isinstance(value, str):
            clean = storable(value)
            if clean != value:
                changes[field] = clean
    return dataclasses.replace(msg, **changes) if changes else msg  # type: ignore[arg-type]
