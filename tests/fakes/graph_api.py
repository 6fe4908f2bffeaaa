"""A strict fake WhatsApp Cloud API (Graph API) server: aiohttp on 127.0.0.1, ephemeral port.

The adapter's httpx client talks to it as to graph.facebook.com. It behaves like WhatsApp
where a bot notices:

- `POST /{phone-number-id}/messages` checks every message as WhatsApp does: text of 1 to
  4,096 characters; at most 3 reply buttons, titles of 1 to 20 characters, distinct; a list of
  at most 10 rows, titles of 24, descriptions of 72, a button label of 20; bodies of 1,024;
  templates only by an approved name and language, with as many parameters as the template
  has, none holding a new line. Errors have WhatsApp's shape and codes:
  131047 for a free-form message more than 24 hours after the user last wrote (by the clock
  the test gives it), 131026 for numbers marked unreachable, 130429 beyond the number's
  throughput (messages per second), 131056 beyond the pair rate, 132001 for an unknown
  template, 131009 for a bad parameter, 190 for another token;
- `GET /{media-id}` gives a media URL, which serves the file;
- users write by webhook POSTs signed with the app secret (`X-Hub-Signature-256`), and the
  fake reports `sent` / `delivered` / `read` / `failed` statuses the same way; as WhatsApp
  does, every accepted message gets its `sent` status on its own (`auto_sent`, when
  `webhook` is set), echoing the `biz_opaque_callback_data` the send carried.

The test side acts as partners: `sari = fake.user("6281200000001", "Sari")`,
`await sari.say("halo")` (the bot's messages to her in answer), `await sari.tap(msgs, "Next")`
(a reply button, a list row, or the number of a numbered menu).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "EAAG-fake-whatsapp-token"
PHONE_NUMBER_ID = "109876543210"
APP_SECRET = "fake-app-secret"
VERIFY_TOKEN = "fake-verify-token"
WINDOW = timedelta(hours=24)

Json = dict[str, Any]


@dataclass
class Sent:
    """One message the bot sent, as WhatsApp accepted it."""

    wamid: str
    to: str
    body: Json
    at: float

    @property
    def type(self) -> str:
        return str(self.body["type"])

    @property
    def text(self) -> str:
        """What the user reads: the text, the caption, the interactive body, the template."""
        b = self.body
        if self.type == "text":
            return str(b["text"]["body"])
        if self.type == "image":
            return str(b["image"].get("caption", ""))
        if self.type == "interactive":
            return str(b["interactive"]["body"]["text"])
        if self.type == "template":
            params = [p["text"] for c in b["template"].get("components", [])
                      for p in c.get("parameters", [])]
            return f"[template {b['template']['name']}] " + " | ".join(params)
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(title, id) of its reply buttons or list rows."""
        if self.type != "interactive":
            return []
        inter = self.body["interactive"]
        if inter["type"] == "button":
            return [(b["reply"]["title"], b["reply"]["id"]) for b in inter["action"]["buttons"]]
        return [(r["title"] + " " + r.get("description", ""), r["id"])
                for s in inter["action"]["sections"] for r in s["rows"]]


class GraphError(Exception):
    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Template:
    name: str
    language: str
    parameters: int


@dataclass
class FakeGraphAPI:
    """The fake Cloud API; `webhook` is where it POSTs users' messages (set by the test)."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rate: float | None = None  # the number's messages per second; None: unlimited
    pair_interval: float | None = None  # seconds between two messages to one user
    token: str = TOKEN
    phone_number_id: str = PHONE_NUMBER_ID
    app_secret: str = APP_SECRET
    webhook: str | None = None
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[Json, int, float]] = field(default_factory=list)  # body, code, when
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    last_inbound: dict[str, datetime] = field(default_factory=dict)
    media_files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    auto_sent: bool = True  # report `sent` for every accepted message, as WhatsApp does
    # WhatsApp gathers the statuses of a busy number into fewer webhook POSTs: those of one
    # `status_every` go in one
    status_every: float = 0.1
    status_posts: list[tuple[str, int]] = field(default_factory=list)  # (wamid, bot's answer)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._window: deque[float] = deque()
        self._last_to: dict[str, float] = {}
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.base_url = ""
        self.fail_next: deque[int] = deque()  # error codes the next sends get, in order
        self._reports: set[asyncio.Task[None]] = set()
        self._unreported: list[Sent] = []

    # --- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> FakeGraphAPI:
        app = web.Application()
        app.router.add_post("/v21.0/{phone}/messages", self._messages)
        app.router.add_get("/v21.0/media-file/{media}", self._media_file)
        app.router.add_get("/v21.0/{node}", self._node)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v21.0"
        self._http = aiohttp.ClientSession()
        return self

    async def settled(self) -> None:
        """Waits until every automatic `sent` report was answered by the bot."""
        while any(not t.done() for t in self._reports):
            await asyncio.gather(*list(self._reports), return_exceptions=True)

    async def __aexit__(self, *exc: object) -> None:
        await self.settled()
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    def approve(self, name: str, language: str, parameters: int = 0) -> None:
        """An approved message template."""
        self.templates[(name, language)] = Template(name, language, parameters)

    def user(self, wa_id: str, name: str = "Sari") -> FakeUser:
        return FakeUser(self, wa_id, name)

    def to(self, wa_id: str) -> list[Sent]:
        return [s for s in self.sent if s.to == wa_id]

    # --- the API ----------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    @staticmethod
    def _error(e: GraphError) -> web.Response:
        return web.json_response({"error": {"message": e.message, "type": "OAuthException",
                                             "code": e.code, "fbtrace_id": "Afake"}},
                                 status=e.status)

    async def _node(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(GraphError(190, "Invalid OAuth access token.", 401))
        node = request.match_info["node"]
        if node == self.phone_number_id:
            return web.json_response({"display_phone_number": "+62 811-0000-0000",
                                      "id": node})
        if node in self.media_files:
            data, mime = self.media_files[node]
            return web.json_response({
                "url": f"{self.base_url}/media-file/{node}", "mime_type": mime,
                "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                "id": node, "messaging_product": "whatsapp"})
        return self._error(GraphError(100, f"Unsupported get request: {node}"))

    async def _media_file(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        data, mime = self.media_files[request.match_info["media"]]
        return web.Response(body=data, content_type=mime)

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(GraphError(190, "Invalid OAuth access token.", 401))
        body = await request.json()
        try:
            if request.match_info["phone"] != self.phone_number_id:
                raise GraphError(100, "Unsupported post request: unknown phone number id")
            to = self._check(body)
            now = time.monotonic()
            self._pace(to, now)
            if self.fail_next:
                code = self.fail_next.popleft()
                raise GraphError(code, f"injected error {code}")
        except GraphError as e:
            self.refused.append((body, e.code, time.monotonic()))
            return self._error(e)
        wamid = f"wamid.FAKE{next(self._ids):08d}"
        sent = Sent(wamid, to, body, now)
        self.sent.append(sent)
        if self.auto_sent and self.webhook:
            self._unreported.append(sent)
            if all(t.done() for t in self._reports):
                task = asyncio.create_task(self._report_sent())
                self._reports.add(task)
                task.add_done_callback(self._reports.discard)
        return web.json_response({"messaging_product": "whatsapp",
                                  "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": wamid}]})

    def _pace(self, to: str, now: float) -> None:
        if self.rate is not None:
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate:
                raise GraphError(130429, "Rate limit hit")
            self._window.append(now)
        if self.pair_interval is not None:
            if now - self._last_to.get(to, -1e9) < self.pair_interval:
                raise GraphError(131056, "(Business Account, Consumer Account) pair rate "
                                         "limit hit")
            self._last_to[to] = now

    def _check(self, body: Json) -> str:
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "messaging_product must be whatsapp")
        callback = body.get("biz_opaque_callback_data")
        if callback is not None and (not isinstance(callback, str) or len(callback) > 512):
            raise GraphError(100, "biz_opaque_callback_data: a string of 512 characters at most")
        to, kind = body.get("to"), body.get("type")
        if not isinstance(to, str) or not to.isdigit():
            raise GraphError(100, "Invalid parameter: to")
        if to in self.unreachable:
            raise GraphError(131026, "Message undeliverable")
        if kind == "template":
            self._check_template(body.get("template") or {})
            return to
        last = self.last_inbound.get(to)
        if last is None or self.now() - last >= WINDOW:
            raise GraphError(131047, "Re-engagement message: more than 24 hours have passed "
                                     "since the recipient last replied")
        if kind == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not 1 <= len(text) <= 4096:
                raise GraphError(100, "text.body must have 1 to 4096 characters")
        elif kind == "image":
            image = body.get("image") or {}
            if not (image.get("link") or image.get("id")):
                raise GraphError(100, "image needs a link or an id")
            if len(image.get("caption", "")) > 1024:
                raise GraphError(100, "caption too long")
        elif kind == "interactive":
            self._check_interactive(body.get("interactive") or {})
        else:
            raise GraphError(100, f"unsupported message type {kind!r}")
        return to

    @staticmethod
    def _check_interactive(inter: Json) -> None:
        text = (inter.get("body") or {}).get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 1024:
            raise GraphError(131009, "body.text must have 1 to 1024 characters")
        action = inter.get("action") or {}
        if inter.get("type") == "button":
            buttons = action.get("buttons") or []
            titles = [b["reply"]["title"] for b in buttons]
            if not 1 <= len(buttons) <= 3:
                raise GraphError(131009, "1 to 3 buttons")
            if any(not 1 <= len(t) <= 20 for t in titles) or len(set(titles)) != len(titles):
                raise GraphError(131009, "button titles: 1 to 20 characters, distinct")
            if any(not 1 <= len(b["reply"]["id"]) <= 256 for b in buttons):
                raise GraphError(131009, "button id: 1 to 256 characters")
        elif inter.get("type") == "list":
            rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
            if not 1 <= len(rows) <= 10:
                raise GraphError(131009, "a list has 1 to 10 rows")
            if not 1 <= len(action.get("button", "")) <= 20:
                raise GraphError(131009, "list button: 1 to 20 characters")
            titles = [r["title"] for r in rows]
            if any(not 1 <= len(t) <= 24 for t in titles) or len(set(titles)) != len(titles):
                raise GraphError(131009, "row titles: 1 to 24 characters, distinct")
            if any(len(r.get("description", "")) > 72 for r in rows):
                raise GraphError(131009, "row description: 72 characters at most")
            ids = [r["id"] for r in rows]
            if len(set(ids)) != len(ids) or any(not 1 <= len(i) <= 200 for i in ids):
                raise GraphError(131009, "row ids: 1 to 200 characters, distinct")
        else:
            raise GraphError(131009, f"interactive type {inter.get('type')!r}")

    def _check_template(self, template: Json) -> None:
        key = (template.get("name"), (template.get("language") or {}).get("code"))
        known = self.templates.get(key)  # type: ignore[arg-type]
        if known is None:
            raise GraphError(132001, f"Template name does not exist in the translation {key}")
        params = [p for c in template.get("components") or [] if c.get("type") == "body"
                  for p in c.get("parameters") or []]
        if len(params) != known.parameters:
            raise GraphError(132000, "Number of parameters does not match the expected number")
        for p in params:
            text = p.get("text")
            if (p.get("type") != "text" or not isinstance(text, str) or not text
                    or "\n" in text or "\t" in text or "     " in text):
                raise GraphError(131009, "template parameter: no new lines, tabs or more "
                                         "than 4 spaces in a row")

    # --- webhooks to the bot ----------------------------------------------------------------

    def sign(self, raw: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()

    async def post(self, value: Json, *, signature: str | None = None) -> int:
        """POSTs one webhook to the bot (the whole `value` of a change); the HTTP status."""
        assert self.webhook and self._http, "set fake.webhook to the bot's /whatsapp URL"
        raw = json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "WABA-1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "628110000000",
                             "phone_number_id": self.phone_number_id},
                **value}}]}]}).encode()
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": signature if signature is not None else self.sign(raw)}
        async with self._http.post(self.webhook, data=raw, headers=headers) as answer:
            return answer.status

    async def _report_sent(self) -> None:
        """Posts the `sent` statuses gathered over `status_every`, until none are left."""
        while self._unreported:
            await asyncio.sleep(self.status_every)
            batch, self._unreported = self._unreported, []
            try:
                code = await self.post({"statuses": [self._status(s, "sent") for s in batch]})
            except (aiohttp.ClientError, OSError):  # the bot is down: WhatsApp retries later
                code = 0
            self.status_posts.extend((s.wamid, code) for s in batch)

    def _status(self, sent: Sent, status: str, error: int | None = None) -> Json:
        st: Json = {"id": sent.wamid, "status": status, "recipient_id": sent.to,
                    "timestamp": str(int(self.now().timestamp()))}
        if "biz_opaque_callback_data" in sent.body:
            st["biz_opaque_callback_data"] = sent.body["biz_opaque_callback_data"]
        if error is not None:
            st["errors"] = [{"code": error, "title": f"error {error}"}]
        return st

    async def report(self, sent: Sent, status: str, error: int | None = None) -> int:
        """Tells the bot what became of a message it sent."""
        return await self.post({"statuses": [self._status(sent, status, error)]})


class FakeUser:
    """A WhatsApp user writing to the bot's number."""

    def __init__(self, fake: FakeGraphAPI, wa_id: str, name: str):
        self.fake, self.wa_id, self.name = fake, wa_id, name
        self._ids = itertools.count(1)

    def message_id(self) -> str:
        return f"wamid.IN{self.wa_id}{next(self._ids):05d}"

    async def send(self, kind: str, part: Json, *, message_id: str | None = None) -> int:
        """Sends a message of `kind` (the webhook's status code); it opens the window."""
        self.fake.last_inbound[self.wa_id] = self.fake.now()
        message = {"from": self.wa_id, "id": message_id or self.message_id(),
                   "timestamp": str(int(self.fake.now().timestamp())), "type": kind,
                   kind: part}
        return await self.fake.post({
            "contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
            "messages": [message]})

    async def say(self, text: str) -> list[Sent]:
        """Types a message; returns what the bot answered (the webhook waits for it)."""
        before = len(self.fake.sent)
        status = await self.send("text", {"body": text})
        assert status == 200, status
        return [s for s in self.fake.sent[before:] if s.to == self.wa_id]

    async def tap(self, messages: list[Sent], label: str) -> list[Sent]:
        """Picks `label`: a reply button, a list row, or a numbered choice (by its number)."""
        for message in reversed(messages):
            for title, pid in message.choices:
                if label.lower() in title.lower():
                    kind = message.body["interactive"]["type"]
                    reply = "button_reply" if kind == "button" else "list_reply"
                    before = len(self.fake.sent)
                    status = await self.send("interactive", {
                        "type": reply, reply: {"id": pid, "title": title}})
                    assert status == 200, status
                    return [s for s in self.fake.sent[before:] if s.to == self.wa_id]
            if message.type == "text":
                for line in message.text.splitlines():
                    number, dot, rest = line.partition(". ")
                    if dot and number.isdigit() and label.lower() in rest.lower():
                        return await self.say(number)
        raise AssertionError(f"no choice like {label!r} in {[m.text for m in messages]}")

    def received(self) -> list[Sent]:
        return self.fake.to(self.wa_id)
