"""The kernel: message types, typed button payloads, the clock, the translator, the time
zones and the Feature protocol. No I/O, and it imports nothing else of the project."""

from bot.core.clock import Clock, FixedClock, SystemClock
from bot.core.messages import (
    MAX_TEXT,
    Attachment,
    Button,
    Inbound,
    InboundKind,
    OutboundChannel,
    OutFile,
    Reply,
    SendResult,
    SendStatus,
    reply_from_dict,
    reply_to_dict,
    rows,
)

__all__ = [
    "MAX_TEXT",
    "Attachment",
    "Button",
    "Clock",
    "FixedClock",
    "Inbound",
    "InboundKind",
    "OutFile",
    "OutboundChannel",
    "Reply",
    "SendResult",
    "SendStatus",
    "SystemClock",
    "reply_from_dict",
    "reply_to_dict",
    "rows",
]
