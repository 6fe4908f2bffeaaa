"""A strict fake Telegram Bot API server (aiohttp, 127.0.0.1, ephemeral port).

Real client libraries (aiogram, python-telegram-bot) talk to it over HTTP as they would to
api.telegram.org. It behaves like Telegram where bots notice:

- `getUpdates` honours `offset` (an update is redelivered until a later offset confirms it),
  `timeout` (real long polling) and `limit`; a second concurrent poll ends the first with 409,
  and polling while a webhook is set is a 409;
- `setWebhook` makes it POST updates to the bot with `X-Telegram-Bot-Api-Secret-Token`,
  one at a time per chat, retrying until the bot answers 200;
- Telegram-shaped results (`getMe` with `is_bot`, dates in seconds, the edited Message from
  `editMessageText`, `true` from `answerCallbackQuery`) and errors: 400 for bad entities,
  text over 4,096 characters, callback data over 64 bytes, unknown chats and messages,
  "message is not modified"; 429 with `parameters.retry_after` over the global or per-chat
  rate; 403 for chats a test marked blocked; 401 for another token;
- paid broadcasts: a send with `allow_paid_broadcast` is not held to the global rate but to
  `paid_rate` (1,000/s, as Telegram's), still one chat's rate; `paid_sends` counts them (each
  costs Telegram Stars).

Deviations, on purpose: http:// webhooks are allowed on loopback (Telegram needs https), and
only sends (sendMessage, sendPhoto) count against the rate limits.

The test side acts as partners: `user = fake.user(...)`, `await user.send("hi")`,
`await user.press(message, "English")`, `await user.wait_messages(2)`; `fake.calls` records
every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_text import EntityParseError, parse, utf16_len

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_OK = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

_JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "allowed_updates",
                "link_preview_options", "reply_parameters", "commands", "scope"}
_INT_PARAMS = {"offset", "limit", "timeout", "message_id", "max_connections", "cache_time",
               "reply_to_message_id", "message_thread_id"}
_BOOL_PARAMS = {"drop_pending_updates", "show_alert", "disable_notification",
                "protect_content", "disable_web_page_preview", "allow_sending_without_reply",
                "allow_paid_broadcast"}

Json = dict[str, Any]


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> Json:
        data: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class Call:
    """One request the bot made, as the fake understood and answered it."""

    method: str
    params: Json
    status: int
    result: Any
    at: float


@dataclass
class SendReport:
    """A broadcast as the platform saw it: sends accepted and refused, the steady rate after
    the first second (a sliding window starts empty), and how often each chat got one."""

    ok: list[Call]
    refused: list[Call]
    late: list[Call]  # refused after the first second
    start: float
    end: float
    rate: float
    per_chat: Counter[int]


@dataclass
class _Pending:
    update: Json
    forced: bool = False  # put back by redeliver(): delivered once more whatever the offset
    delivered_in_poll: int | None = None
    next_try: float = 0.0


class _Bucket:
    """A token bucket: `rate` sends per second, up to `burst` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.last: float | None = None

    def wait(self, now: float) -> float:
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def _chat_of(update: Json) -> int | None:
    for key in ("message", "edited_message"):
        if key in update:
            return int(update[key]["chat"]["id"])
    if "callback_query" in update and update["callback_query"].get("message"):
        return int(update["callback_query"]["message"]["chat"]["id"])
    return None


def _bot_command_entities(text: str) -> list[Json]:
    m = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if not m:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}]


class FakeBotAPI:
    """The server and its test-side API; use `async with FakeBotAPI() as fake:`."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, username: str = "coach_test_bot",
                 first_name: str = "Coach", global_rate: float | None = 30.0,
                 global_burst: int = 30, chat_rate: float | None = 1.0, chat_burst: int = 1,
                 webhook_retry_delay: float = 0.05, clock: Callable[[], float] | None = None,
                 paid_rate: float = 1000.0):
        self.token = token
        self.bot_user: Json = {"id": int(token.split(":", 1)[0]), "is_bot": True,
                               "first_name": first_name, "username": username}
        self.clock = clock or time.monotonic
        self.webhook_retry_delay = webhook_retry_delay
        self.set_limits(global_rate=global_rate, global_burst=global_burst,
                        chat_rate=chat_rate, chat_burst=chat_burst)
        self._paid = _Bucket(paid_rate, int(paid_rate))
        self.paid_sends = 0
        self.calls: list[Call] = []
        self.chats: dict[int, Json] = {}
        self.messages: dict[int, dict[int, Json]] = {}
        self.bot_messages: dict[int, list[int]] = {}
        self.callbacks: dict[str, Json] = {}
        self.answered: dict[str, Json] = {}
        self.blocked: dict[int, str] = {}
        self.updates: dict[int, Json] = {}
        self.confirmed: Counter[int] = Counter()
        self.webhook: Json | None = None
        self.webhook_responses: list[tuple[int, int]] = []
        self._pending: list[_Pending] = []
        self._msg_ids: dict[int, itertools.count[int]] = {}
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._user_ids = itertools.count(500_001)
        self._poll_no = 0
        self._closing = False
        self._current_poll = 0
        self._in_flight: set[int] = set()
        self._in_flight_chats: set[int | None] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._worker: asyncio.Task[None] | None = None
        self._posts: set[asyncio.Task[None]] = set()
        self._client: aiohttp.ClientSession | None = None
        self.base_url = ""
        self._methods: dict[str, Callable[[Json], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_m_{name}") for name in (
                "getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
                "sendMessage", "sendPhoto", "editMessageText", "editMessageReplyMarkup",
                "sendDocument", "answerCallbackQuery", "deleteMessage", "sendChatAction",
                "setMyCommands", "deleteMyCommands", "getMyCommands", "close", "logOut")}

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._http)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._client = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._deliver_webhooks())
        return self

    async def stop(self) -> None:
        async with self._changed:  # open long polls return now, not at their timeout
            self._closing = True
            self._changed.notify_all()
        if self._worker is not None:
            await self._worker
        for task in list(self._posts):
            task.cancel()
        if self._posts:
            await asyncio.gather(*self._posts, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_limits(self, *, global_rate: float | None = None, global_burst: int = 30,
                   chat_rate: float | None = None, chat_burst: int = 1) -> None:
        """Flood control: None switches a limit off."""
        self._global = _Bucket(global_rate, global_burst) if global_rate else None
        self._chat_rate, self._chat_burst = chat_rate, chat_burst
        self._chat_buckets: dict[int, _Bucket] = {}

    # --- HTTP --------------------------------------------------------------------------------

    async def _http(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            refused = ApiError(401, "Unauthorized").body()
            await self._record(Call(method, {}, 401, refused, self.clock()))
            return web.json_response(refused, status=401)
        handler = self._methods.get(method.lower())
        if handler is None:
            return web.json_response(ApiError(404, "Not Found: method not found").body(),
                                     status=404)
        params: Json = {}
        try:
            params = await self._params(request)
            result = await handler(params)
        except ApiError as exc:
            await self._record(Call(method, params, exc.code, exc.body(), self.clock()))
            return web.json_response(exc.body(), status=exc.code)
        await self._record(Call(method, params, 200, result, self.clock()))
        return web.json_response({"ok": True, "result": result})

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    @staticmethod
    async def _params(request: web.Request) -> Json:
        raw: Json
        if request.content_type == "application/json":
            raw = await request.json()
        elif request.method == "GET":
            raw = dict(request.query)
        else:
            form = await request.post()
            raw = {k: (v if isinstance(v, str) else f"<file {v.filename}>")
                   for k, v in form.items()}
            # uploaded bytes, for tests that look at what the bot sent (a certificate)
            raw["_uploads"] = {k: (v.filename, v.file.read()) for k, v in form.items()
                               if not isinstance(v, str)}
        params: Json = {}
        for key, value in raw.items():
            if isinstance(value, str) and key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    raise bad_request(f"can't parse {key} JSON object") from None
            elif key in _INT_PARAMS:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise bad_request(f"invalid {key} specified") from None
            elif key in _BOOL_PARAMS and isinstance(value, str):
                value = value.lower() in ("true", "1")
            elif key == "chat_id" and isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value)
            params[key] = value
        return params

    # --- updates: polling --------------------------------------------------------------------

    def _confirm(self, offset: int, poll_no: int) -> None:
        keep: list[_Pending] = []
        ordinary = [p for p in self._pending if not p.forced]
        if offset < 0:
            survivors = {id(p) for p in ordinary[offset:]}
        for p in self._pending:
            uid = p.update["update_id"]
            if p.forced:
                done = p.delivered_in_poll is not None and p.delivered_in_poll < poll_no
            elif offset < 0:
                done = id(p) not in survivors
            else:
                done = offset > 0 and uid < offset
            if done:
                self.confirmed[uid] += 1
            else:
                keep.append(p)
        self._pending = keep

    def _drop_pending(self) -> None:
        for p in self._pending:
            self.confirmed[p.update["update_id"]] += 1
        self._pending = []

    async def _m_getUpdates(self, p: Json) -> list[Json]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        offset = int(p.get("offset", 0))
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(int(p.get("timeout", 0)), 0)
        loop = asyncio.get_running_loop()
        async with self._changed:
            self._poll_no += 1
            me = self._poll_no
            self._current_poll = me
            self._confirm(offset, me)
            self._changed.notify_all()  # an older long poll sees it was superseded
            deadline = loop.time() + timeout
            while True:
                if self._current_poll != me:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                        "make sure that only one bot instance is running")
                ready = [x for x in self._pending
                         if x.forced or offset <= 0 or x.update["update_id"] >= offset][:limit]
                if ready:
                    for x in ready:
                        x.delivered_in_poll = me
                    return [x.update for x in ready]
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing:
                    return []
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()

    # --- updates: webhook --------------------------------------------------------------------

    async def _m_setWebhook(self, p: Json) -> bool:
        url = str(p.get("url", ""))
        if not url:
            return await self._m_deleteWebhook(p)
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET_OK.match(str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        max_conn = int(p.get("max_connections", 40))
        if not 1 <= max_conn <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        async with self._changed:
            if p.get("drop_pending_updates"):
                self._drop_pending()
            self.webhook = {"url": url, "secret_token": secret, "max_connections": max_conn,
                            "allowed_updates": p.get("allowed_updates")}
            self._changed.notify_all()
        return True

    async def _m_deleteWebhook(self, p: Json) -> bool:
        async with self._changed:
            self.webhook = None
            if p.get("drop_pending_updates"):
                self._drop_pending()
            self._changed.notify_all()
        return True

    async def _m_getWebhookInfo(self, p: Json) -> Json:
        info: Json = {"url": self.webhook["url"] if self.webhook else "",
                      "has_custom_certificate": False,
                      "pending_update_count": len(self._pending)}
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        return info

    def _next_webhook_update(self) -> _Pending | None:
        assert self.webhook is not None
        if len(self._in_flight) >= self.webhook["max_connections"]:
            return None
        now = self.clock()
        blocked_chats = set(self._in_flight_chats)
        for x in self._pending:
            chat = _chat_of(x.update)
            uid = x.update["update_id"]
            if uid in self._in_flight or chat in blocked_chats:
                blocked_chats.add(chat)  # keeps one chat's updates in order
                continue
            if x.next_try > now:
                blocked_chats.add(chat)
                continue
            return x
        return None

    async def _deliver_webhooks(self) -> None:
        while not self._closing:
            async with self._changed:
                nxt = self._next_webhook_update() if self.webhook else None
                if nxt is None:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.webhook_retry_delay):
                            await self._changed.wait()
                    continue
                assert self.webhook is not None
                self._in_flight.add(nxt.update["update_id"])
                self._in_flight_chats.add(_chat_of(nxt.update))
                hook = dict(self.webhook)
            task = asyncio.create_task(self._post_update(nxt, hook))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

    async def _post_update(self, pending: _Pending, hook: Json) -> None:
        assert self._client is not None
        uid = pending.update["update_id"]
        headers = {SECRET_HEADER: hook["secret_token"]} if hook["secret_token"] else {}
        status = 0
        try:
            async with self._client.post(hook["url"], json=pending.update, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=60)) as resp:
                status = resp.status
                await resp.read()
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        async with self._changed:
            self.webhook_responses.append((uid, status))
            self._in_flight.discard(uid)
            self._in_flight_chats.discard(_chat_of(pending.update))
            if status == 200:
                if pending in self._pending:
                    self._pending.remove(pending)
                self.confirmed[uid] += 1
            else:
                pending.next_try = self.clock() + self.webhook_retry_delay
            self._changed.notify_all()

    # --- sending -----------------------------------------------------------------------------

    def _chat_for_send(self, p: Json) -> int:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, f"Forbidden: {self.blocked[chat_id]}")
        return chat_id

    def _throttle(self, chat_id: int) -> None:
        now = self.clock()
        chat_bucket = None
        if self._chat_rate:
            chat_bucket = self._chat_buckets.setdefault(
                chat_id, _Bucket(self._chat_rate, self._chat_burst))
        waits = [b.wait(now) for b in (self._global, chat_bucket) if b is not None]
        wait = max(waits, default=0.0)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        for b in (self._global, chat_bucket):
            if b is not None:
                b.tokens -= 1

    def _throttle_send(self, p: Json, chat_id: int) -> None:
        """Flood control for a send: paid broadcasts have a global rate of their own."""
        if not p.get("allow_paid_broadcast"):
            self._throttle(chat_id)
            return
        free, self._global = self._global, self._paid  # the same rules, the paid bucket
        try:
            self._throttle(chat_id)
        finally:
            self._global = free
        self.paid_sends += 1

    @staticmethod
    def _markup(raw: Any) -> Json | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in raw:
            return raw  # reply keyboards, force_reply, remove_keyboard: accepted as given
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup should "
                              "be an Array of Arrays")
        for row in rows:
            for b in row:
                if not isinstance(b, dict) or not b.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text buttons are "
                                      "unallowed in the inline keyboard")
                kinds = [k for k in ("callback_data", "url", "switch_inline_query",
                                     "web_app", "login_url", "pay", "copy_text") if k in b]
                if len(kinds) != 1:
                    raise bad_request("can't parse inline keyboard button: exactly one of the "
                                      "optional fields must be used")
                if "callback_data" in b:
                    size = len(str(b["callback_data"]).encode())
                    if not 1 <= size <= MAX_CALLBACK_DATA:
                        raise bad_request("BUTTON_DATA_INVALID")
                if "url" in b and not re.match(r"^(https?|tg)://", str(b["url"])):
                    raise bad_request("BUTTON_URL_INVALID")
        return {"inline_keyboard": rows} if any(rows) else None

    @staticmethod
    def _text(p: Json, key: str, limit: int, empty_ok: bool = False) -> tuple[str, list[Json]]:
        raw = p.get(key)
        if raw is None or raw == "":
            if empty_ok:
                return "", []
            raise bad_request("message text is empty")
        try:
            plain, entities = parse(str(raw), p.get("parse_mode"))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        if not plain.strip() and not empty_ok:
            raise bad_request("message text is empty")
        if utf16_len(plain) > limit:
            raise bad_request("message is too long" if key == "text"
                              else "message caption is too long")
        return plain, entities

    def _new_message(self, chat_id: int, sender: Json, **content: Any) -> Json:
        counter = self._msg_ids.setdefault(chat_id, itertools.count(1))
        msg: Json = {"message_id": next(counter), "from": sender, "chat": self.chats[chat_id],
                     "date": int(time.time())}
        msg.update({k: v for k, v in content.items() if v not in (None, [])})
        self.messages.setdefault(chat_id, {})[msg["message_id"]] = msg
        return msg

    async def _m_sendMessage(self, p: Json) -> Json:
        chat_id = self._chat_for_send(p)
        text, entities = self._text(p, "text", MAX_TEXT)
        markup = self._markup(p.get("reply_markup"))
        self._throttle_send(p, chat_id)
        msg = self._new_message(chat_id, self.bot_user, text=text, entities=entities,
                                reply_markup=markup)
        self.bot_messages.setdefault(chat_id, []).append(msg["message_id"])
        return msg

    async def _m_sendPhoto(self, p: Json) -> Json:
        chat_id = self._chat_for_send(p)
        if not p.get("photo"):
            raise bad_request("there is no photo in the request")
        caption, entities = self._text(p, "caption", MAX_CAPTION, empty_ok=True)
        markup = self._markup(p.get("reply_markup"))
        self._throttle_send(p, chat_id)
        photo = [{"file_id": f"photo-{p['photo']}", "file_unique_id": "u1", "width": 800,
                  "height": 600, "file_size": 1000}]
        msg = self._new_message(chat_id, self.bot_user, photo=photo, caption=caption or None,
                                caption_entities=entities, reply_markup=markup)
        self.bot_messages.setdefault(chat_id, []).append(msg["message_id"])
        return msg

    async def _m_sendDocument(self, p: Json) -> Json:
        chat_id = self._chat_for_send(p)
        if not p.get("document"):
            raise bad_request("there is no document in the request")
        caption, entities = self._text(p, "caption", MAX_CAPTION, empty_ok=True)
        self._throttle_send(p, chat_id)
        uploads = p.get("_uploads", {})
        field = str(p["document"])
        # aiogram names the multipart field ("attach://<field>"); python-telegram-bot uses
        # the parameter's own name
        field = field.removeprefix("attach://") if field.startswith("attach://") else "document"
        name, data = uploads.get(field, (str(p["document"]), b""))
        doc = {"file_id": f"doc-{name}", "file_unique_id": f"u-{name}", "file_name": name,
               "file_size": len(data)}
        msg = self._new_message(chat_id, self.bot_user, document=doc, caption=caption or None,
                                caption_entities=entities)
        self.bot_messages.setdefault(chat_id, []).append(msg["message_id"])
        return msg

    def uploads(self, method: str) -> list[tuple[str, bytes]]:
        """Every file uploaded with `method` (sendDocument, sendPhoto), in order."""
        return [f for c in self.calls_to(method) for f in c.params.get("_uploads", {}).values()]

    def _bot_message(self, p: Json) -> Json:
        if p.get("inline_message_id"):
            raise bad_request("inline messages are not supported by this fake")
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise bad_request("chat not found")
        msg = self.messages.get(chat_id, {}).get(int(p.get("message_id") or 0))
        if msg is None:
            raise bad_request("message to edit not found")
        if msg["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return msg

    async def _m_editMessageText(self, p: Json) -> Json:
        msg = self._bot_message(p)
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(p, "text", MAX_TEXT)
        markup = self._markup(p.get("reply_markup"))
        if (text, entities, markup) == (msg["text"], msg.get("entities", []),
                                        msg.get("reply_markup")):
            raise bad_request("message is not modified: specified new message content and "
                              "reply markup are exactly the same as a current content and "
                              "reply markup of the message")
        msg["text"] = text
        self._set(msg, "entities", entities or None)
        self._set(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        return msg

    async def _m_editMessageReplyMarkup(self, p: Json) -> Json:
        msg = self._bot_message(p)
        markup = self._markup(p.get("reply_markup"))
        if markup == msg.get("reply_markup"):
            raise bad_request("message is not modified: specified new message content and "
                              "reply markup are exactly the same as a current content and "
                              "reply markup of the message")
        self._set(msg, "reply_markup", markup)
        msg["edit_date"] = int(time.time())
        return msg

    @staticmethod
    def _set(msg: Json, key: str, value: Any) -> None:
        if value is None:
            msg.pop(key, None)
        else:
            msg[key] = value

    async def _m_answerCallbackQuery(self, p: Json) -> bool:
        qid = str(p.get("callback_query_id", ""))
        if qid not in self.callbacks or qid in self.answered:
            raise bad_request("query is too old and response timeout expired or query ID is "
                              "invalid")
        self.answered[qid] = p
        return True

    async def _m_deleteMessage(self, p: Json) -> bool:
        msg = self._bot_message(p)
        del self.messages[msg["chat"]["id"]][msg["message_id"]]
        return True

    async def _m_getMe(self, p: Json) -> Json:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _m_sendChatAction(self, p: Json) -> bool:
        self._chat_for_send(p)
        return True

    async def _m_setMyCommands(self, p: Json) -> bool:
        return True

    async def _m_deleteMyCommands(self, p: Json) -> bool:
        return True

    async def _m_getMyCommands(self, p: Json) -> list[Json]:
        return []

    async def _m_close(self, p: Json) -> bool:
        return True

    async def _m_logOut(self, p: Json) -> bool:
        return True

    # --- the test side -----------------------------------------------------------------------

    def user(self, first_name: str = "Sari", *, last_name: str | None = None,
             username: str | None = None, language_code: str | None = "id",
             user_id: int | None = None) -> FakeUser:
        """A partner with a private chat with the bot."""
        uid = user_id or next(self._user_ids)
        data: Json = {"id": uid, "is_bot": False, "first_name": first_name}
        chat: Json = {"id": uid, "type": "private", "first_name": first_name}
        if last_name:
            data["last_name"] = chat["last_name"] = last_name
        if username:
            data["username"] = chat["username"] = username
        if language_code:
            data["language_code"] = language_code
        self.chats[uid] = chat
        return FakeUser(self, data, uid)

    def group(self, title: str = "Coaches", *, chat_id: int | None = None,
              supergroup: bool = True) -> FakeGroup:
        cid = chat_id or -(1_000_000_000_000 + next(self._user_ids))
        self.chats[cid] = {"id": cid, "type": "supergroup" if supergroup else "group",
                           "title": title}
        return FakeGroup(self, cid)

    def block(self, chat_id: int, description: str = "bot was blocked by the user") -> None:
        """Sends to this chat get 403 (also: "user is deactivated")."""
        self.blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        self.blocked.pop(chat_id, None)

    async def add_update(self, update: Json) -> int:
        """Queues a raw update (an `update_id` is assigned); returns its id."""
        uid = next(self._update_ids)
        update = {"update_id": uid, **update}
        async with self._changed:
            self.updates[uid] = update
            self._pending.append(_Pending(update))
            self._changed.notify_all()
        return uid

    async def redeliver(self, update_id: int) -> None:
        """Delivers an update once more, as after a confirmation lost in a crash."""
        async with self._changed:
            self._pending.append(_Pending(self.updates[update_id], forced=True))
            self._changed.notify_all()

    async def _user_message(self, chat_id: int, sender: Json, text: str,
                            reply_to: Json | None, **content: Any) -> int:
        if content:  # a photo or document: the text is its caption
            msg = self._new_message(chat_id, sender, caption=text or None,
                                    reply_to_message=reply_to, **content)
        else:
            msg = self._new_message(chat_id, sender, text=text,
                                    entities=_bot_command_entities(text),
                                    reply_to_message=reply_to)
        return await self.add_update({"message": msg})

    async def _press(self, sender: Json, message: Json, label: str) -> int:
        buttons = [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                   for b in row]
        found = [b for b in buttons if label.lower() in b["text"].lower()]
        if not found:
            raise AssertionError(f"no button like {label!r} on message "
                                 f"{message.get('message_id')}: {[b['text'] for b in buttons]}")
        if "callback_data" not in found[0]:
            raise AssertionError(f"button {found[0]['text']!r} is not a callback button")
        chat_id = message["chat"]["id"]
        current = self.messages.get(chat_id, {}).get(message["message_id"], message)
        qid = str(next(self._callback_ids))
        query = {"id": qid, "from": sender, "message": json.loads(json.dumps(current)),
                 "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                 "data": found[0]["callback_data"]}
        self.callbacks[qid] = query
        return await self.add_update({"callback_query": query})

    async def wait_until(self, check: Callable[[], bool], within: float = 5.0,
                         what: str = "condition") -> None:
        """Waits (bounded) until `check()` holds; it is re-checked on every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with self._changed:
            while not check():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    recent = [f"{c.method}->{c.status}" for c in self.calls[-8:]]
                    raise AssertionError(f"timed out after {within}s waiting for {what}; "
                                         f"recent calls: {recent}")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(remaining, 0.05)):
                        await self._changed.wait()

    async def wait_confirmed(self, update_id: int, times: int = 1,
                             within: float = 5.0) -> None:
        """Waits until the bot confirmed the update (a later offset, or a 200 webhook)."""
        await self.wait_until(lambda: self.confirmed[update_id] >= times, within,
                              f"update {update_id} confirmed {times}x")

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def send_report(self) -> SendReport:
        calls = [c for c in self.calls if c.method == "sendMessage"]
        ok = [c for c in calls if c.status == 200]
        start, end = min(c.at for c in calls), max(c.at for c in ok)
        refused = [c for c in calls if c.status == 429]
        steady = [c for c in ok if c.at > start + 1.0]
        return SendReport(ok, refused, [c for c in refused if c.at > start + 1.0], start, end,
                          len(steady) / (end - start - 1.0),
                          Counter(int(c.params["chat_id"]) for c in ok))

    def chat_messages(self, chat_id: int) -> list[Json]:
        """The bot's messages in a chat, in the order sent, as they look now."""
        store = self.messages.get(chat_id, {})
        return [store[m] for m in self.bot_messages.get(chat_id, []) if m in store]

    @property
    def unanswered_callbacks(self) -> list[str]:
        return [q for q in self.callbacks if q not in self.answered]


class _Chat:
    def __init__(self, fake: FakeBotAPI, chat_id: int):
        self.fake = fake
        self.chat_id = chat_id
        self._seen = 0

    @property
    def messages(self) -> list[Json]:
        return self.fake.chat_messages(self.chat_id)

    @property
    def last(self) -> Json:
        return self.messages[-1]

    async def wait_messages(self, n: int = 1, within: float = 5.0) -> list[Json]:
        """Waits for the next `n` bot messages in this chat (since the last wait)."""
        start = self._seen
        await self.fake.wait_until(lambda: len(self.messages) >= start + n, within,
                                   f"{n} bot messages in chat {self.chat_id}")
        self._seen = start + n
        return self.messages[start:start + n]

    def unread(self) -> list[Json]:
        return self.messages[self._seen:]

    async def settle(self, update_id: int, within: float = 5.0) -> list[Json]:
        """Waits until the bot has confirmed `update_id`; returns the messages not yet read.

        The bot confirms (next offset, or 200 to the webhook) only after processing, so
        everything it answered is here.
        """
        await self.fake.wait_confirmed(update_id, within=within)
        new = self.unread()
        self._seen += len(new)
        return new


class FakeUser(_Chat):
    """A partner in a private chat with the bot."""

    def __init__(self, fake: FakeBotAPI, data: Json, chat_id: int):
        super().__init__(fake, chat_id)
        self.data = data
        self.id = int(data["id"])

    async def send(self, text: str, reply_to: Json | None = None) -> int:
        """Types a message (a `/command` gets its bot_command entity); returns the update id."""
        return await self.fake._user_message(self.chat_id, self.data, text, reply_to)

    async def command(self, name: str, args: str = "") -> int:
        return await self.send(f"/{name} {args}".strip())

    async def send_photo(self, file_id: str, caption: str = "") -> int:
        """Sends a photo (in two sizes, as Telegram does); returns the update id."""
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}-s",
                  "width": 90, "height": 160, "file_size": 2000},
                 {"file_id": file_id, "file_unique_id": f"{file_id}-l", "width": 720,
                  "height": 1280, "file_size": 90000}]
        return await self.fake._user_message(self.chat_id, self.data, caption, None,
                                             photo=sizes)

    async def send_document(self, file_id: str, name: str, mime: str = "application/pdf",
                            caption: str = "") -> int:
        doc = {"file_id": file_id, "file_unique_id": f"{file_id}-u", "file_name": name,
               "mime_type": mime, "file_size": 12345}
        return await self.fake._user_message(self.chat_id, self.data, caption, None,
                                             document=doc)

    async def press(self, message: Json, label: str) -> int:
        """Taps the button whose label contains `label` on `message` (as the user sees it)."""
        return await self.fake._press(self.data, message, label)

    async def say(self, text: str) -> list[Json]:
        """Sends a message and returns the bot's answer to it."""
        return await self.settle(await self.send(text))

    async def tap(self, messages: Json | list[Json], label: str) -> list[Json]:
        """Taps a button (on the latest of `messages` that has it); returns the answer."""
        candidates = messages if isinstance(messages, list) else [messages]
        for message in reversed(candidates):
            if any(label.lower() in b["text"].lower() for row in
                   (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row):
                return await self.settle(await self.press(message, label))
        raise AssertionError(f"no button like {label!r} in {[m.get('text') for m in candidates]}")


class FakeGroup(_Chat):
    """A group chat; members send into it."""

    async def send(self, user: FakeUser, text: str, reply_to: Json | None = None) -> int:
        return await self.fake._user_message(self.chat_id, user.data, text, reply_to)

    async def press(self, user: FakeUser, message: Json, label: str) -> int:
        return await self.fake._press(user.data, message, label)

