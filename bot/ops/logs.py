"""COACHBOT_LOG_FORMAT=json: one JSON object a line, for a log pipeline.

A line names the partner being served (`partner`: channel:id, from the update's context) and
the update id, never what anyone wrote: the logs leave the texts to the database.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from bot.ops.metrics import CURRENT_PARTNER

# extras the code passes (`extra={...}`) that a line may carry; ids only
FIELDS = ("update_id", "partner_id", "ticket_id", "broadcast_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        partner = CURRENT_PARTNER.get()
        if partner is not None:
            line["partner"] = partner
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_handler(stream: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    return handler
