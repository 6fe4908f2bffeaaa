"""Platform-neutral message types shared by channels, handlers and the scheduler."""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass
from typing import Protocol

MAX_TEXT = 4096


class InboundKind(enum.StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or document a partner sent, as the platform names it (its file id)."""

    kind: str  # "photo" or "document"
    file_id: str
    name: str = ""
    mime: str = ""
    size: int = 0


@dataclass(frozen=True, slots=True)
class OutFile:
    """A file the bot sends (a certificate, a data export): its name, bytes and type."""

    name: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a partner or coach, as every channel hands it to the core."""

    channel: str
    user_id: str
    chat_id: str
    kind: InboundKind
    text: str = ""
    command: str | None = None
    args: str = ""
    payload: str | None = None
    language_hint: str | None = None
    update_id: str | None = None
    display_name: str | None = None
    # id of the bot message a button lives on, or the message a coach replied to
    message_ref: str | None = None
    reply_to_ref: str | None = None
    # a group chat (e.g. the coaches' chat): the sender's private chat id is not this one
    is_group: bool = False
    # pictures and files sent with the message (fetched from the platform only when needed)
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def from_text(cls, channel: str, user_id: str, text: str, **kw: object) -> Inbound:
        """Builds an inbound from raw typed text, recognising `/command args`."""
        chat_id = str(kw.pop("chat_id", user_id))
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1 and not stripped[1].isspace():
            head, _, rest = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            return cls(channel, user_id, chat_id, InboundKind.COMMAND, text=text,
                       command=name, args=rest.strip(), **kw)  # type: ignore[arg-type]
        return cls(channel, user_id, chat_id, InboundKind.TEXT, text=text,
                   **kw)  # type: ignore[arg-type]

    @classmethod
    def button(cls, channel: str, user_id: str, payload: str, **kw: object) -> Inbound:
        chat_id = str(kw.pop("chat_id", user_id))
        return cls(channel, user_id, chat_id, InboundKind.BUTTON, payload=payload,
                   **kw)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: text in a small Markdown subset, optional buttons and image.

    The Markdown subset is `*bold*`, `_italic_` and plain lines; channels render or strip it.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: str | None = None
    # an out-of-band target (a coaches' chat); None means "the sender of the inbound"
    to_chat: str | None = None
    to_channel: str | None = None
    # replace the message the pressed button lives on instead of sending a new one
    edit: bool = False
    # opaque key that lets a coach's reply be tied back to e.g. a ticket
    ref: str | None = None
    # documents sent with the text (a certificate, a partner's data export)
    files: tuple[OutFile, ...] = ()

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


def rows(*buttons: Button, width: int = 1) -> tuple[tuple[Button, ...], ...]:
    """Lays buttons out in rows of `width`."""
    return tuple(tuple(buttons[i:i + width]) for i in range(0, len(buttons), width))


class SendStatus(enum.StrEnum):
    OK = "ok"
    RETRY_AFTER = "retry_after"
    BLOCKED = "blocked"
    FAILED = "failed"
    # not sendable now, nor a failure: kept until the recipient can be reached (WhatsApp's
    # 24-hour window reopens when the partner writes)
    WAIT = "wait"


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float = 0.0
    reason: str = ""
    message_ref: str | None = None

    @classmethod
    def ok(cls, message_ref: str | None = None) -> SendResult:
        return cls(SendStatus.OK, message_ref=message_ref)

    @classmethod
    def retry(cls, seconds: float) -> SendResult:
        return cls(SendStatus.RETRY_AFTER, retry_after=seconds)

    @classmethod
    def blocked(cls, reason: str = "blocked") -> SendResult:
        return cls(SendStatus.BLOCKED, reason=reason)

    @classmethod
    def failed(cls, reason: str) -> SendResult:
        return cls(SendStatus.FAILED, reason=reason)

    @classmethod
    def wait(cls, reason: str) -> SendResult:
        return cls(SendStatus.WAIT, reason=reason)


class OutboundChannel(Protocol):
    """What the dispatcher and the app need from a channel adapter to send."""

    name: str

    async def send(self, chat_id: str, reply: Reply) -> SendResult: ...


def reply_to_dict(reply: Reply) -> dict[str, object]:
    """Serialises a Reply for the outbox (JSON), so a stored row can be sent later."""
    data: dict[str, object] = {"text": reply.text}
    if reply.buttons:
        data["buttons"] = [[{"label": b.label, "payload": b.payload} for b in row]
                           for row in reply.buttons]
    if reply.image:
        data["image"] = reply.image
    if reply.ref:
        data["ref"] = reply.ref
    if reply.files:  # kept whole, so a deferred certificate still arrives
        data["files"] = [{"name": f.name, "mime": f.mime,
                          "data": base64.b64encode(f.data).decode()} for f in reply.files]
    return data


def reply_from_dict(data: dict[str, object]) -> Reply:
    raw_rows = data.get("buttons") or []
    assert isinstance(raw_rows, list)
    buttons = tuple(tuple(Button(str(b["label"]), str(b["payload"])) for b in row)
                    for row in raw_rows)
    image = data.get("image")
    ref = data.get("ref")
    raw_files = data.get("files") or []
    assert isinstance(raw_files, list)
    files = tuple(OutFile(str(f["name"]), base64.b64decode(str(f["data"])), str(f["mime"]))
                  for f in raw_files)
    return Reply(str(data.get("text", "")), buttons,
                 image=str(image) if image else None, ref=str(ref) if ref else None,
                 files=files)
