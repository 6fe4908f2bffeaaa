"""The webhook's JSON read into plain records, with no I/O.

A POST holds `entry[].changes[].value` objects; each value may carry `messages` (what users
sent, with `contacts` giving their profile names) and `statuses` (what became of what we
sent). Anything else in it is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core import Attachment, Inbound, InboundKind

CHANNEL = "whatsapp"
# a whole message that is only one of these words opts out, as WhatsApp users expect
OPT_OUT_WORDS = frozenset({"stop", "berhenti", "unsubscribe"})
_NUMBER = re.compile(r"^\s*(\d{1,3})\s*\.?\s*$")
# what a user can send that the bot does not read: answered with a kind word
UNREAD = frozenset({"location", "contacts", "sticker", "audio", "video", "reaction",
                    "order", "system", "unknown", "unsupported"})

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WaMessage:
    """One message a user sent."""

    id: str
    wa_id: str
    type: str
    at: datetime | None
    name: str | None = None
    text: str = ""
    payload: str | None = None  # the id of the pressed reply button or the picked list row
    attachment: Attachment | None = None
    context_id: str | None = None  # the message this one answers

    @property
    def unread(self) -> bool:
        """Content the bot does not read (a location, a contact card, a voice note…)."""
        return self.type in UNREAD

    def inbound(self, menu: list[str] | None = None) -> Inbound:
        """The message as the core reads it; a bare number answers the numbered `menu`."""
        common: dict[str, object] = {
            "chat_id": self.wa_id, "update_id": self.id, "display_name": self.name,
            "reply_to_ref": self.context_id,
            "attachments": (self.attachment,) if self.attachment else ()}
        if self.payload is not None:
            return Inbound.button(CHANNEL, self.wa_id, self.payload, **common)
        number = _NUMBER.match(self.text)
        if menu and number and 1 <= int(number.group(1)) <= len(menu):
            return Inbound.button(CHANNEL, self.wa_id, menu[int(number.group(1)) - 1], **common)
        if self.text.strip().lower() in OPT_OUT_WORDS:
            return Inbound(CHANNEL, self.wa_id, self.wa_id, InboundKind.COMMAND,
                           text=self.text, command="stop", update_id=self.id,
                           display_name=self.name)
        return Inbound.from_text(CHANNEL, self.wa_id, self.text, **common)


@dataclass(frozen=True, slots=True)
class WaStatus:
    """What WhatsApp reports about a message we sent."""

    wamid: str
    recipient: str
    status: str  # sent, delivered, read, failed
    at: datetime | None
    error_code: int | None = None
    callback: str | None = None  # biz_opaque_callback_data the send carried


def _when(raw: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _message(m: Json, names: dict[str, str]) -> WaMessage | None:
    wa_id, mid, kind = m.get("from"), m.get("id"), m.get("type")
    if not isinstance(wa_id, str) or not isinstance(mid, str) or not isinstance(kind, str):
        return None
    context = _dict(m.get("context"))
    base: Json = {"id": mid, "wa_id": wa_id, "type": kind, "at": _when(m.get("timestamp")),
                  "name": names.get(wa_id), "context_id": context.get("id")}
    part = _dict(m.get(kind))
    if kind == "text":
        return WaMessage(**base, text=str(part.get("body") or ""))
    if kind == "interactive":
        picked = part.get("button_reply") or part.get("list_reply") or {}
        if isinstance(picked, dict) and picked.get("id"):
            return WaMessage(**base, payload=str(picked["id"]))
        return WaMessage(**{**base, "type": "unsupported"})
    if kind == "button":  # a template's quick reply: its payload, else what it says
        return WaMessage(**base, text=str(part.get("text") or part.get("payload") or ""))
    if kind in ("image", "document") and part.get("id"):
        size = part.get("file_size")
        # the kinds every channel uses: WhatsApp's "image" is a photo
        attachment = Attachment(kind="photo" if kind == "image" else kind,
                                file_id=str(part["id"]),
                                name=str(part.get("filename") or ""),
                                mime=str(part.get("mime_type") or ""),
                                size=size if isinstance(size, int) else 0)
        return WaMessage(**base, text=str(part.get("caption") or ""), attachment=attachment)
    return WaMessage(**{**base, "type": kind if kind in UNREAD else "unsupported"})


def read(data: Any) -> tuple[list[WaMessage], list[WaStatus]]:
    """The messages and statuses in one webhook POST, in the order they came."""
    messages: list[WaMessage] = []
    statuses: list[WaStatus] = []
    if not isinstance(data, dict):
        return messages, statuses
    for entry in _dicts(data.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                     for c in _dicts(value.get("contacts"))}
            names = {k: v for k, v in names.items() if v}
            for m in _dicts(value.get("messages")):
                found = _message(m, names)
                if found is not None:
                    messages.append(found)
            for s in _dicts(value.get("statuses")):
                if not isinstance(s.get("id"), str) or not isinstance(s.get("status"), str):
                    continue
                errors = _dicts(s.get("errors"))
                code = errors[0].get("code") if errors else None
                callback = s.get("biz_opaque_callback_data")
                statuses.append(WaStatus(s["id"], str(s.get("recipient_id") or ""),
                                         s["status"], _when(s.get("timestamp")),
                                         code if isinstance(code, int) else None,
                                         callback if isinstance(callback, str) else None))
    return messages, statuses
