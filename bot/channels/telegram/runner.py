"""Serves partners on Telegram: long polling or a webhook, with either driver.

Nothing acknowledged to Telegram is lost: polling confirms an offset (the next getUpdates)
only after the whole batch is processed, and the webhook answers 200 only after the update is
processed. A crash in between means redelivery, which the update-id dedupe in CoachBot absorbs.

`connect(settings)` is Telegram's entry in CHANNELS: `coachbot run` serves the runner it
attaches beside the other network channels (bot/channels/serving.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from bot import redact
from bot.app import CoachBot
from bot.channels.delivery import defer_to_outbox
from bot.channels.lanes import FloodGate, Lanes, Offsets, flood_controlled
from bot.channels.serving import Connection, Route, listening, parse_listen
from bot.channels.telegram.common import (
    CHANNEL,
    BotInfo,
    Deliver,
    Driver,
    Handle,
    PollingConflict,
    TelegramChannel,
    TelegramUnavailable,
    TgUpdate,
    TokenRejected,
)
from bot.channels.telegram.hardening import (
    RefusedRequests,
    UpdateOrder,
    parse_update,
    prune_processed_updates,
)
from bot.channels.telegram.shared_order import SharedUpdateOrder
from bot.config import Settings
from bot.core import Inbound, Reply
from bot.storage.faults import StorageUnavailable
from scheduler.rate import PAID_BROADCAST_KINDS
from scheduler.replies import ReplyMarks

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DRIVERS = ("aiogram", "ptb")
POLL_IDLE = 0.5  # seconds without progress after which a poll fetches the other chats' updates
POLL_MAX = 1.0  # seconds at most between polls while updates are still being finished
CONFIRM_LAG = 1.0  # seconds a processed update waits for its replies before it is confirmed
SHUTDOWN_GRACE = 10.0  # seconds in-flight work may take to finish when stopping


def make_driver(settings: Settings) -> Driver:
    """The driver named by COACHBOT_TELEGRAM_DRIVER; libraries are imported only when chosen."""
    if not settings.telegram_token:
        raise ValueError("COACHBOT_TELEGRAM_TOKEN is not set")
    name = settings.telegram_driver.strip().lower()
    if name == "aiogram":
        # one driver's library is loaded: the one the deployment chose
        from bot.channels.telegram.aiogram import AiogramDriver

        return AiogramDriver(settings.telegram_token, settings.telegram_api_base)
    if name == "ptb":
        # (as above: python-telegram-bot only when chosen)
        from bot.channels.telegram.ptb import PtbDriver

        return PtbDriver(settings.telegram_token, settings.telegram_api_base)
    raise ValueError(f"COACHBOT_TELEGRAM_DRIVER must be one of {', '.join(DRIVERS)}, "
                     f"not {settings.telegram_driver!r}")


def paid_kinds(settings: Settings) -> frozenset[str]:
    """The outbox kinds sent as Telegram paid broadcasts (COACHBOT_TELEGRAM_PAID_BROADCAST)."""
    return PAID_BROADCAST_KINDS if settings.telegram_paid_broadcast else frozenset()


class TelegramRunner:
    """One bot on Telegram: the channel adapter plus the loop that feeds it updates."""

    def __init__(self, app: CoachBot, settings: Settings, driver: Driver, *,
                 handle: Handle | None = None):
        self.app = app
        self.settings = settings
        self.driver = driver
        # SQLite has one writer: the core and the reply marks take turns (see _one_at_a_time)
        self._gate = asyncio.Lock()
        gate = self._gate if app.db.is_sqlite else None
        # the dispatcher leaves this process's replies alone while it beats within the lease
        self.marks = ReplyMarks(app.db, app.clock, gate=gate,
                                beat=max(settings.outbox_lease / 4, 0.5))
        app.durable_replies.add(CHANNEL)
        app.reply_marks = self.marks
        self.channel = TelegramChannel(driver, coach_chat_id=settings.coach_chat_id,
                                       inline_retry_max=settings.telegram_inline_retry_max,
                                       defer=partial(defer_to_outbox, app.db, app.clock, CHANNEL),
                                       settle=self.marks.settle,
                                       paid_kinds=paid_kinds(settings))
        self.handle: Handle = flood_controlled(
            handle or app.handle, FloodGate(settings.flood_messages, settings.flood_window),
            app.notice)
        if gate is not None:
            self.handle = _one_at_a_time(self.handle, gate)
        self.mode = "webhook" if settings.webhook_url else "polling"
        self.secret = settings.webhook_secret or secrets.token_urlsafe(32)
        redact.hide(self.secret)
        if not _SECRET_OK.match(self.secret):
            raise ValueError("COACHBOT_WEBHOOK_SECRET may only hold A-Z, a-z, 0-9, _ and -, "
                             "1 to 256 characters")
        self.webhook_port: int | None = None
        self.refused = RefusedRequests()
        self.ready = asyncio.Event()
        self._order: UpdateOrder | SharedUpdateOrder = UpdateOrder(
            0.0 if settings.webhook_shared_order else settings.webhook_order_wait)

    async def start(self) -> None:
        """Checks the token (getMe) and says what is about to run."""
        await self.channel.start()
        assert self.channel.me is not None
        if (self.settings.webhook_shared_order and self.app.db.is_postgres
                and self.mode == "webhook"):
            self._order = SharedUpdateOrder(self.app.db, self.app.clock, self.channel.me.id,
                                            self.settings.webhook_order_wait)
        self.announce()

    def announce(self) -> None:
        """Says what is about to run: bot, driver, mode and API base."""
        assert self.channel.me is not None
        log.info("telegram bot @%s: driver=%s mode=%s api_base=%s", self.channel.me.username,
                 self.driver.name, self.mode, self.driver.api_base)

    def routes(self) -> list[Route]:
        """The webhook endpoint (the path of COACHBOT_WEBHOOK_URL); none when polling."""
        if self.mode != "webhook":
            return []
        return [Route(self._path(), self._on_webhook)]

    def _path(self) -> str:
        assert self.settings.webhook_url
        return urlsplit(self.settings.webhook_url).path or "/"

    async def serve(self, stop: asyncio.Event, port: int | None = None) -> None:
        """Serves until `stop` is set; call start() first.

        In webhook mode `port` is the shared listener's, already serving routes(); without it
        the runner listens on COACHBOT_WEBHOOK_LISTEN itself.
        """
        await self.marks.start()
        pruning = asyncio.create_task(prune_processed_updates(self.app.db, self.app.clock, stop))
        try:
            if self.mode == "polling":
                await self._poll(stop)
            elif port is not None:
                await self._serve_webhook(stop, port)
            else:
                async with listening(self.settings.webhook_listen, self.routes()) as port:
                    await self._serve_webhook(stop, port)
        finally:
            pruning.cancel()
            await asyncio.gather(pruning, return_exceptions=True)
            await self.marks.close()

    # --- processing ------------------------------------------------------------------------

    async def process(self, tg: TgUpdate) -> bool:
        """Handles one update; updates of one chat are handled (and answered) in update-id
        order, also when their deliveries race.

        False when the database was out of reach: the update is not processed, and must not
        be acknowledged."""
        async with self._order.turn(tg.chat_key, tg.update_id):
            try:
                await self.channel.process(tg, self.handle)
            except StorageUnavailable:
                log.warning("update %s not processed: database unavailable", tg.update_id)
                return False
            except Exception:  # a bug must not stop the loop nor the other partners
                log.exception("update %s failed", tg.update_id,
                              extra={"update_id": tg.update_id})
        return True

    def _lanes(self, offsets: Offsets,
               stop: asyncio.Event) -> tuple[Lanes[TgUpdate], Lanes[Deliver]]:
        """Two lanes per chat: the core's (processing, in update order) and the sending of
        replies (in the same order). The core runs ahead of slow sending: an update is
        confirmed once its replies are out, or CONFIRM_LAG seconds after it was processed if
        its chat is still sending (the replies are committed with it, in the outbox)."""
        sending: Lanes[Deliver] = Lanes(lambda deliver: deliver())
        loop = asyncio.get_running_loop()

        async def handle(tg: TgUpdate) -> None:
            backoff = 0.2
            while True:
                try:
                    deliver = await self.channel.receive(tg, self.handle)
                    break
                except Exception as exc:
                    if stop.is_set():  # unprocessed, so unconfirmed: Telegram sends it again
                        return
                    log.warning("update %s not processed (%s); retrying in %.1fs",
                                tg.update_id, type(exc).__name__, backoff)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 5.0)

            async def send() -> None:
                try:
                    await deliver()
                finally:
                    offsets.done(tg.update_id)

            sending.submit(tg.chat_key, send)
            loop.call_later(CONFIRM_LAG, offsets.done, tg.update_id)

        return Lanes(handle), sending

    # --- long polling ----------------------------------------------------------------------

    async def _poll(self, stop: asyncio.Event) -> None:
        await self.driver.delete_webhook()
        self.ready.set()
        offsets = Offsets()
        # a stop ends the wait for a batch at once
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: offsets.drained.set())
        processing, sending = self._lanes(offsets, stop)
        backoff = 0.5
        try:
            while not stop.is_set():
                wait = 0 if offsets.pending else self.settings.telegram_poll_timeout
                try:
                    updates = await _unless_stopped(
                        self.driver.get_updates(offsets.offset(), wait, 100), stop)
                except TokenRejected:
                    raise ValueError("Telegram rejected the bot token while polling "
                                     "(revoked with @BotFather?)") from None
                except (TelegramUnavailable, PollingConflict) as exc:
                    log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                    continue
                if updates is None:
                    break
                backoff = 0.5
                by_id = {u.update_id: u for u in updates}
                fresh = offsets.fresh(by_id)
                for update_id in fresh:
                    u = by_id[update_id]
                    processing.submit(u.chat_key, u)
                # Telegram resends in-flight updates on every poll, so the next poll waits
                # until they are all finished; only a chat that holds up the rest (no update
                # finished for POLL_IDLE) is worth a poll that fetches them all again
                await _settle(offsets, stop, POLL_IDLE, POLL_MAX)
        finally:
            stopping.cancel()
            # in-flight updates finish (or stay unconfirmed), replies go out, then the offset
            # of everything processed is confirmed, so a restart does not fetch it again
            if not await processing.join(SHUTDOWN_GRACE):
                await processing.cancel()
            if not await sending.join(SHUTDOWN_GRACE):
                await sending.cancel()
            offset = offsets.offset()
            if offset is not None:
                with contextlib.suppress(Exception):
                    await self.driver.get_updates(offset, 0, 1)

    # --- webhook ---------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        # any bytes may arrive in a header: compared as bytes, never decoded strictly
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self.secret.encode()):
            self.refused.count(request.remote)
            return web.Response(status=401, text="unauthorized")
        try:
            data = parse_update(await request.read())
        except ValueError:
            return web.Response(status=400, text="bad update")
        try:
            tg = self.driver.parse(data)
        except Exception:  # a shape this library version cannot read: retrying won't help
            log.exception("unreadable update %s", data.get("update_id"))
            return web.Response(text="")
        if not await self.process(tg):  # Telegram delivers it again later
            return web.Response(status=503, text="unavailable")
        return web.Response(text="")

    async def _serve_webhook(self, stop: asyncio.Event, port: int) -> None:
        assert self.settings.webhook_url
        self.webhook_port = port
        # `{port}` lets a test (or a local tunnel) use the port picked at bind time
        url = self.settings.webhook_url.replace("{port}", str(port))
        await self.driver.set_webhook(url, self.secret)
        host, _ = parse_listen(self.settings.webhook_listen)
        log.info("webhook listening on %s:%s%s", host, port, self._path())
        self.ready.set()
        await stop.wait()


def _one_at_a_time(handle: Handle, gate: asyncio.Lock) -> Handle:
    """SQLite has one writer: concurrent transactions only meet in its busy-wait (sleeps of
    up to 100 ms), so the core runs one message at a time; sending stays concurrent."""

    async def serial(msg: Inbound) -> list[Reply]:
        async with gate:
            return await handle(msg)

    return serial


async def _settle(offsets: Offsets, stop: asyncio.Event, idle: float, most: float) -> None:
    """Waits until no fetched update is in flight or `stop` is set; or until none has
    finished for `idle` seconds (a stalled chat: the others' updates are fetched meanwhile),
    or `most` seconds pass. A core busy with the batch gains nothing from an earlier poll,
    which would parse every update in flight again.

    One wait per poll, woken only when the batch is done (or `stop`, which the poll loop
    relays to `offsets.drained`): not once per finished update."""
    started = time.monotonic()
    deadline = started + most
    while offsets.pending and not stop.is_set():
        now = time.monotonic()
        until = min(deadline, max(offsets.last_progress, started) + idle)
        if until <= now:
            return
        offsets.drained.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(until - now):
                await offsets.drained.wait()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _unless_stopped(call: Awaitable[T], stop: asyncio.Event) -> T | None:
    """Awaits `call`, or cancels it and returns None once `stop` is set."""
    task = asyncio.ensure_future(call)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


class TelegramConnection:
    """A bot whose token Telegram accepted, not yet serving."""

    def __init__(self, settings: Settings, driver: Driver, me: BotInfo):
        self.settings = settings
        self.driver = driver
        self.me = me

    def attach(self, app: CoachBot) -> TelegramRunner:
        runner = TelegramRunner(app, self.settings, self.driver)
        runner.channel.me = self.me
        runner.announce()
        return runner

    async def close(self) -> None:
        await self.driver.close()


async def connect(settings: Settings) -> TelegramConnection:
    """Checks the token (getMe) before anything else starts: the channel's `connect`.

    A wrong token or an unreachable API ends with one clear ValueError (the CLI prints it
    and exits non-zero) instead of a retry loop.
    """
    # httpx logs every request URL at INFO, and the URL holds the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        driver = make_driver(settings)
    except TokenRejected as exc:  # the token's shape, never the token itself
        raise ValueError(f"COACHBOT_TELEGRAM_TOKEN is not a bot token: {exc}") from None
    try:
        try:
            me = await driver.get_me()
        except TokenRejected:  # the library's message may quote the token: not repeated
            raise ValueError(f"Telegram rejected the bot token (COACHBOT_TELEGRAM_TOKEN) at "
                             f"{driver.api_base}; check it with @BotFather") from None
        except TelegramUnavailable as exc:
            raise ValueError(f"cannot reach the Telegram Bot API at {driver.api_base}: "
                             f"{exc}") from None
    except BaseException:
        await driver.close()
        raise
    return TelegramConnection(settings, driver, me)


if TYPE_CHECKING:  # CHANNELS calls `connect`: mypy checks that it keeps the protocol
    _connect: Callable[[Settings], Awaitable[Connection]] = connect


async def sender(settings: Settings) -> tuple[TelegramChannel, Callable[[], Awaitable[None]]]:
    """Sends through Telegram without serving it (a broadcast sent from the CLI)."""
    driver = make_driver(settings)
    return (TelegramChannel(driver, coach_chat_id=settings.coach_chat_id,
                            paid_kinds=paid_kinds(settings)), driver.close)
