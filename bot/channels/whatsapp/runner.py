"""Serves partners on WhatsApp: the webhook Meta calls, on the shared listener at /whatsapp.

- `GET /whatsapp` answers Meta's verification (`hub.mode=subscribe`, the verify token,
  echoing `hub.challenge`);
- every `POST` must be signed (`X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the
  app secret), else 401 and nothing is read;
- a POST is answered 200 only after its messages are handled and their replies sent: a crash
  in between means Meta delivers it again, and the message-id dedupe in CoachBot handles it
  once;
- statuses (sent, delivered, read, failed) are recorded against the outbox row they concern.

`connect(settings)` is WhatsApp's entry in CHANNELS.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app import CoachBot, KeyedLocks
from bot.channels.delivery import defer_to_outbox
from bot.channels.serving import Connection, Route, listening, parse_listen
from bot.channels.whatsapp.channel import WhatsAppChannel, row_of
from bot.channels.whatsapp.graph import UNDELIVERABLE, GraphClient, GraphUnavailable
from bot.channels.whatsapp.inbound import WaMessage, WaStatus, read
from bot.channels.whatsapp.render import Labels
from bot.channels.whatsapp.store import CHANNEL, ChatView, WhatsAppStore
from bot.channels.whatsapp.templates import pack_templates
from bot.config import Settings
from bot.core import Inbound, Reply
from bot.core.media import MediaFetchers
from bot.runtime import build_app
from bot.storage.models import ProcessedUpdate
from bot.storage.repos import insert_once
from content.loader import PackLibrary

log = logging.getLogger(__name__)

PATH = "/whatsapp"
# statuses saying WhatsApp took the message (a `failed` one may follow acceptance too, but
# says nothing of whether it was accepted)
ACCEPTED = frozenset({"sent", "delivered", "read"})
SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is `sha256=` and the HMAC-SHA256 of `body` with the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


def labels_from(library: PackLibrary, default_pack: str) -> Callable[[ChatView], Labels]:
    def labels(chat: ChatView) -> Labels:
        pack, lang = chat.pack_id or default_pack, chat.language
        return Labels(choose=library.t(pack, lang, "wa_choose"),
                      numbered_hint=library.t(pack, lang, "wa_numbered_hint"))

    return labels


def make_client(settings: Settings) -> GraphClient:
    if not settings.whatsapp_token:
        raise ValueError("COACHBOT_WHATSAPP_TOKEN is not set")
    missing = [name for name, value in (
        ("COACHBOT_WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
        ("COACHBOT_WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
        ("COACHBOT_WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token)) if not value]
    if missing:
        raise ValueError(f"WhatsApp needs {', '.join(missing)} as well as its token")
    assert settings.whatsapp_phone_number_id
    return GraphClient(settings.whatsapp_api_base, settings.whatsapp_token,
                       settings.whatsapp_phone_number_id, rate=settings.whatsapp_rate)


def make_channel(app: CoachBot, client: GraphClient) -> WhatsAppChannel:
    """The adapter bound to the app's database, clock, packs and outbox."""
    settings = app.settings
    return WhatsAppChannel(
        client, app.db, app.clock,
        templates=pack_templates(app.library, settings.default_pack),
        labels=labels_from(app.library, settings.default_pack),
        inline_retry_max=settings.telegram_inline_retry_max,
        defer=partial(defer_to_outbox, app.db, app.clock, CHANNEL),
        confirm_grace=settings.whatsapp_confirm_grace)


class WhatsAppRunner:
    """One WhatsApp number: the adapter plus the webhook that feeds it."""

    def __init__(self, app: CoachBot, settings: Settings, client: GraphClient):
        self.app = app
        self.settings = settings
        self.client = client
        self.channel = make_channel(app, client)
        # features fetch what partners send here (a proof photo for the coaches' chat)
        media = app.services.get(MediaFetchers)
        if media is None:
            media = MediaFetchers()
            app.services.put(media)
        media.register(CHANNEL, self.channel.fetch)
        assert settings.whatsapp_app_secret and settings.whatsapp_verify_token
        self.secret = settings.whatsapp_app_secret
        self.verify_token = settings.whatsapp_verify_token
        self.ready = asyncio.Event()
        self.port: int | None = None
        self._chats = KeyedLocks()
        # SQLite has one writer: one message at a time (as the Telegram runner does)
        self._gate = asyncio.Lock() if app.db.is_sqlite else None

    def routes(self) -> list[Route]:
        return [Route(PATH, self._on_verify, method="GET"), Route(PATH, self._on_webhook)]

    async def serve(self, stop: asyncio.Event, port: int | None = None) -> None:
        """Serves until `stop`; `port` is the shared listener's, already serving routes()."""
        if port is None:
            async with listening(self.settings.webhook_listen, self.routes()) as own:
                await self._serve(stop, own)
        else:
            await self._serve(stop, port)

    async def _serve(self, stop: asyncio.Event, port: int) -> None:
        self.port = port
        host, _ = parse_listen(self.settings.webhook_listen)
        log.info("whatsapp webhook listening on %s:%s%s (number %s, api %s)", host, port, PATH,
                 self.client.phone_number_id, self.client.base)
        self.ready.set()
        await stop.wait()

    # --- the webhook -----------------------------------------------------------------------

    async def _on_verify(self, request: web.Request) -> web.Response:
        q = request.query
        if (q.get("hub.mode") == "subscribe" and hmac.compare_digest(
                q.get("hub.verify_token", "").encode(), self.verify_token.encode())):
            return web.Response(text=q.get("hub.challenge", ""))
        log.warning("webhook verification with a wrong token from %s", request.remote)
        return web.Response(status=403, text="forbidden")

    async def _on_webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), self.secret):
            log.warning("webhook POST without a valid signature from %s", request.remote)
            return web.Response(status=401, text="unauthorized")
        try:
            data = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="bad json")
        messages, statuses = read(data)
        await self.process(messages, statuses)
        return web.Response(text="ok")

    async def process(self, messages: list[WaMessage], statuses: list[WaStatus]) -> None:
        """Handles one POST: each chat's messages in order, chats side by side; statuses."""
        by_chat: dict[str, list[WaMessage]] = {}
        for m in messages:
            by_chat.setdefault(m.wa_id, []).append(m)

        async def one_chat(chat_messages: list[WaMessage]) -> None:
            for m in chat_messages:
                try:
                    await self._message(m)
                except Exception:  # a bug must not stop the other partners
                    log.exception("whatsapp message %s failed", m.id,
                                  extra={"update_id": m.id})

        await asyncio.gather(*(one_chat(ms) for ms in by_chat.values()))
        if statuses:
            await self._statuses(statuses)

    async def _message(self, m: WaMessage) -> None:
        async with self._chats.hold(m.wa_id):
            now = self.app.clock.now()
            at = min(m.at, now) if m.at else now
            async with self.app.db.transaction() as s:
                store = WhatsAppStore(s)
                menu = await store.arrived(m.wa_id, at, now)
                await store.release_waiting(m.wa_id, now)
                if m.unread:
                    fresh = await insert_once(s, ProcessedUpdate, channel=CHANNEL,
                                              update_id=m.id, created_at=now)
                    chat = await store.view(m.wa_id)
            msg = m.inbound(menu)
            if m.unread:
                if fresh:  # a location or a voice note: said kindly, once
                    text = self.app.library.t(chat.pack_id or self.settings.default_pack,
                                              chat.language, "wa_unread")
                    await self.channel.delivery.deliver(msg, [Reply(text)])
                return
            replies = await self._handle(msg)
            await self.channel.delivery.deliver(msg, replies)

    async def _handle(self, msg: Inbound) -> list[Reply]:
        if self._gate is None:
            return await self.app.handle(msg)
        async with self._gate:
            return await self.app.handle(msg)

    async def _statuses(self, statuses: list[WaStatus]) -> None:
        """Records a POST's statuses in one transaction (a busy number's come by the
        hundred); a `sent` report naming its outbox row settles that row."""
        now = self.app.clock.now()
        async with self.app.db.transaction() as s:
            store = WhatsAppStore(s)
            for st in statuses:
                row_id = row_of(st.callback)
                if row_id is not None and st.status in ACCEPTED:
                    if await store.settle(row_id, st.wamid, now):
                        log.info("outbox row %d settled by its %s report", row_id, st.status)
                await store.record_status(st.wamid, st.recipient, st.status, st.error_code,
                                          now, row_id)
                if st.status == "failed" and st.error_code == UNDELIVERABLE:
                    await store.unreachable(st.recipient)
        for st in statuses:
            if st.status == "failed":
                log.warning("whatsapp message %s to %s failed (%s)", st.wamid, st.recipient,
                            st.error_code)


class WhatsAppConnection:
    """A number whose token the Graph API accepted, not yet serving."""

    def __init__(self, settings: Settings, client: GraphClient, display: str):
        self.settings = settings
        self.client = client
        self.display = display

    def attach(self, app: CoachBot) -> WhatsAppRunner:
        return WhatsAppRunner(app, self.settings, self.client)

    async def close(self) -> None:
        await self.client.close()


async def connect(settings: Settings) -> WhatsAppConnection:
    """Checks the token and the number before anything else starts: the channel's `connect`.

    Missing settings, a refused token or an unreachable API end with one clear ValueError.
    """
    client = make_client(settings)
    try:
        display = await client.check()
    except GraphUnavailable as exc:
        await client.close()
        raise ValueError(str(exc)) from None
    except BaseException:
        await client.close()
        raise
    log.info("whatsapp number %s (%s)", display, settings.whatsapp_phone_number_id)
    return WhatsAppConnection(settings, client, display)


if TYPE_CHECKING:  # CHANNELS calls `connect`: mypy checks that it keeps the protocol
    _connect: Callable[[Settings], Awaitable[Connection]] = connect


async def sender(settings: Settings) -> tuple[WhatsAppChannel, Callable[[], Awaitable[None]]]:
    """Sends through WhatsApp without serving it (a broadcast sent from the CLI)."""
    client = make_client(settings)
    app = await build_app(settings)
    channel = make_channel(app, client)

    async def close() -> None:
        await client.close()
        await app.db.dispose()

    return channel, close
