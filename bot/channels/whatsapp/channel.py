"""The WhatsApp adapter's sending side: a Reply becomes WhatsApp messages, inside the
24-hour window as we wrote it, outside it only as an approved template.

Whether the window is open is read from the database (when the partner last wrote), so any
worker decides the same way. What the bot sends on its own outside the window goes as the
template its pack declares for that kind of message; with none declared the message waits
(`SendResult.wait`) and is released when the partner writes again. Free-form text is never
sent outside the window.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.channels.delivery import Defer, Delivery
from bot.channels.whatsapp.graph import OUTSIDE_WINDOW, GraphClient
from bot.channels.whatsapp.render import Json, Labels, render
from bot.channels.whatsapp.store import CHANNEL, ChatView, WhatsAppStore
from bot.core import Attachment, Clock, OutFile, Reply, SendResult, SendStatus
from bot.storage.db import Database
from scheduler.outbox import WAITING

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
# set on a send, echoed by WhatsApp in that message's status webhooks (up to 512 characters)
CALLBACK_FIELD = "biz_opaque_callback_data"
OUTBOX_TAG = "outbox:"
# the window is treated as closed a little early: a message queued at 23:59:59 must not
# arrive after it closed
WINDOW_MARGIN = timedelta(minutes=2)

# the template body that carries `reply` (a message of `kind`) to the chat, or None when
# its pack declares no template for that kind
TemplateFor = Callable[[ChatView, str | None, Reply], Json | None]
# the adapter's own words (list button, numbered hint) in a language
LabelsFor = Callable[[ChatView], Labels]


def no_templates(chat: ChatView, kind: str | None, reply: Reply) -> Json | None:
    return None


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may go: the user wrote within the last 24 hours."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW - WINDOW_MARGIN


def tagged(body: Json, row_id: int | None) -> Json:
    """The body carrying its outbox row's id, which WhatsApp echoes in its status reports."""
    if row_id is None:
        return body
    return {**body, CALLBACK_FIELD: f"{OUTBOX_TAG}{row_id}"}


def row_of(callback: str | None) -> int | None:
    """The outbox row id a status report's callback data names, if any."""
    if not callback or not callback.startswith(OUTBOX_TAG):
        return None
    digits = callback.removeprefix(OUTBOX_TAG)
    return int(digits) if digits.isdigit() else None


def _file_name(attachment: Attachment, mime: str) -> str:
    """A name for a file sent without one (a photo): its kind and the type's extension."""
    ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
           "application/pdf": ".pdf"}.get(mime or attachment.mime, "")
    return f"{attachment.kind}{ext}"


class ChatViews:
    """Reads chats for concurrent sends in one query per batch: while one read is in flight
    the next sends' numbers gather for the following one (a broadcast sends 80 a second)."""

    def __init__(self, db: Database):
        self.db = db
        self._waiting: dict[str, list[asyncio.Future[ChatView]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def get(self, wa_id: str) -> ChatView:
        future: asyncio.Future[ChatView] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(wa_id, []).append(future)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())
        return await future

    async def _read(self) -> None:
        await asyncio.sleep(0)  # the sends started in this same turn of the loop join in
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            try:
                async with self.db.transaction() as s:
                    views = await WhatsAppStore(s).views(list(batch))
            except Exception as exc:
                for futures in batch.values():
                    for f in futures:
                        if not f.done():
                            f.set_exception(exc)
                continue
            for wa_id, futures in batch.items():
                for f in futures:
                    if not f.done():
                        f.set_result(views[wa_id])


class WhatsAppChannel:
    """Sends Replies to WhatsApp numbers through the Graph API client."""

    name = CHANNEL

    def __init__(self, client: GraphClient, db: Database, clock: Clock, *,
                 templates: TemplateFor = no_templates,
                 labels: LabelsFor = lambda _: Labels(),
                 inline_retry_max: float = 2.0, defer: Defer | None = None,
                 confirm_grace: float = 60.0):
        self.client = client
        # how long a row in flight at a crash waits for WhatsApp's `sent` report before it
        # is sent again (scheduler.dispatcher.ConfirmsSends)
        self.confirm_grace = confirm_grace
        self.db = db
        self.clock = clock
        self.templates = templates
        self.labels = labels
        self.delivery = Delivery(self, inline_retry_max=inline_retry_max, defer=defer,
                                 key_prefix="wa")
        self.views = ChatViews(db)

    # OutboundChannel
    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Sends a reply; outside the window only as the template of a direct answer."""
        return await self.send_kind(chat_id, reply, None)

    async def send_kind(self, chat_id: str, reply: Reply, kind: str | None) -> SendResult:
        """Sends a reply the bot sends as `kind` (nudge, reminder, broadcast, …)."""
        return await self.send_row(chat_id, reply, kind, None)

    async def send_row(self, chat_id: str, reply: Reply, kind: str | None,
                       row_id: int | None) -> SendResult:
        """`send_kind` for outbox row `row_id`: its id rides on the message, and WhatsApp's
        status reports echo it, so a row in flight at a crash is settled, not sent twice."""
        chat = await self.views.get(chat_id)
        if not window_open(chat.last_inbound_at, self.clock.now()):
            return await self._template(chat, kind, reply, row_id)
        rendered = render(chat_id, reply, self.labels(chat))
        result = SendResult.ok()
        last = len(rendered.bodies) - 1
        for i, body in enumerate(rendered.bodies):
            # only the last part settles the row: all of it went out
            result = await self.client.send(tagged(body, row_id) if i == last else body)
            if result.status is not SendStatus.OK:
                break
        if result.status is SendStatus.WAIT:  # WhatsApp says the window closed (131047)
            return await self._template(chat, kind, reply, row_id)
        if result.status is SendStatus.OK and (rendered.menu or chat.menu):
            # a bare number answers the last numbered menu, and only that one
            async with self.db.transaction() as s:
                await WhatsAppStore(s).set_menu(chat_id, rendered.menu, self.clock.now())
        return result

    async def fetch(self, attachment: Attachment) -> OutFile:
        """A file a user sent, through the media API (GraphUnavailable when refused)."""
        data, mime = await self.client.media(attachment.file_id)
        return OutFile(attachment.name or _file_name(attachment, mime), data,
                       mime or attachment.mime or "application/octet-stream")

    async def _template(self, chat: ChatView, kind: str | None, reply: Reply,
                        row_id: int | None = None) -> SendResult:
        body = self.templates(chat, kind, reply)
        if body is None:
            return SendResult.wait(f"{WAITING}: outside the 24-hour window and no template "
                                   f"for {kind or 'a reply'}; sent when the partner writes")
        result = await self.client.send(tagged(body, row_id))
        if result.status is SendStatus.WAIT:  # a template is never refused for the window
            return SendResult.failed(f"template refused ({OUTSIDE_WINDOW})")
        return result
