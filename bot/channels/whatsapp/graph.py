"""A thin client of the WhatsApp Cloud API (Graph API) on aiohttp: send a message, fetch a
media file, check the number, each answer mapped to a SendResult.

aiohttp rather than httpx: measured on a broadcast through the fake Cloud API, httpx spent
7.0 ms of CPU per message (its connection pool scans every connection per request) against
3.2 ms with aiohttp, which the project already uses for its webhooks.

The errors that matter to delivery (https://developers.facebook.com/docs/whatsapp/cloud-api/
support/error-codes):

- 130429 (the number's throughput) and 131056 (too many messages to one user): wait, retry;
- 131047 (more than 24 hours since the user wrote): only a template may go now;
- 131026 (undeliverable: not on WhatsApp, old app, blocked us): the user is unreachable;
- 190 and 401: the token is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core import SendResult

log = logging.getLogger(__name__)

RATE_LIMITED = 130429
PAIR_RATE_LIMITED = 131056
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026
TOKEN_INVALID = 190
# seconds to wait before another try: the number's burst passes quickly; one user takes
# about one message every six seconds
RETRY_AFTER = {RATE_LIMITED: 1.0, PAIR_RATE_LIMITED: 6.0, 4: 60.0, 80007: 60.0}
WINDOW_CLOSED = "outside the 24-hour window"

Json = dict[str, Any]


class GraphUnavailable(Exception):
    """The Graph API could not be reached or refused the credentials."""


@dataclass(frozen=True, slots=True)
class ApiError:
    code: int
    message: str


def error_of(status: int, data: Any) -> ApiError:
    """The Graph API error in an answer (its body's `error`, else the HTTP status)."""
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        code = err.get("code")
        return ApiError(int(code) if isinstance(code, int) else status,
                        str(err.get("message") or err.get("error_user_msg") or ""))
    return ApiError(status, f"HTTP {status}")


def result_of(error: ApiError) -> SendResult:
    """What delivery does with an error."""
    if error.code in RETRY_AFTER:
        return SendResult.retry(RETRY_AFTER[error.code])
    if error.code == UNDELIVERABLE:
        return SendResult.blocked(f"unreachable on WhatsApp ({error.code}): {error.message}")
    if error.code == OUTSIDE_WINDOW:
        return SendResult.wait(f"{WINDOW_CLOSED} ({error.code})")
    return SendResult.failed(f"WhatsApp error {error.code}: {error.message}")


class WindowLimiter:
    """At most `rate` messages in any one-second window, as the number's throughput is
    counted: a send waits until the oldest of the last `rate` sends has left the window,
    instead of earning a 130429 and a retry a second later.

    WhatsApp counts a message when it arrives, which we only know lies between when we sent
    it and its answer. Each send is counted from its answer, or from `latency` after it left
    when the answer takes longer (a queue at the far end, not a slow network, is the likely
    reason then): sound for answers within `latency`, and the window never stretches by more
    than that. Counted from when sends left, a process that stalls and then sends on time
    again puts 81 into one second (230 refusals measured in a 3,000-message broadcast at 80/s
    against the fake Cloud API); counted from each answer alone, every send's round trip
    stretches the window (0.90 of the throughput measured on the loaded machine)."""

    def __init__(self, rate: float, *, window: float = 1.0, latency: float = 0.05):
        self.rate = max(int(rate), 1)
        self.window = window
        self.latency = latency
        self._sends: deque[tuple[float, asyncio.Future[float]]] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> asyncio.Future[float]:
        """Waits for room in the window; pass what it returns to `done` once answered."""
        async with self._lock:  # in order: one waiter at a time
            while len(self._sends) >= self.rate:
                left, answered = self._sends[0]
                cap = left + self.latency
                if not answered.done():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(answered),
                                               max(cap - time.monotonic(), 0.0))
                counted = min(answered.result(), cap) if answered.done() else cap
                wait = counted + self.window - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._sends.popleft()
            slot: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self._sends.append((time.monotonic(), slot))
            return slot

    @staticmethod
    def done(slot: asyncio.Future[float]) -> None:
        if not slot.done():
            slot.set_result(time.monotonic())


class GraphClient:
    """The calls the adapter makes, for one phone number."""

    def __init__(self, base: str, token: str, phone_number_id: str, *, rate: float = 80.0,
                 timeout: float = 20.0, connections: int = 100):
        self.base = base.rstrip("/")
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        # the number's throughput, counted as WhatsApp counts it
        self.limiter = WindowLimiter(rate)

    @property
    def http(self) -> aiohttp.ClientSession:
        # made on first use, inside the running loop (aiohttp binds a session to its loop)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._connections))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def check(self) -> str:
        """The number's display phone number; GraphUnavailable when refused or unreachable."""
        try:
            async with self.http.get(f"{self.base}/{self.phone_number_id}",
                                     params={"fields": "display_phone_number"}) as answer:
                status, data = answer.status, await _json(answer)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphUnavailable(f"cannot reach the Graph API at {self.base}: {exc}") from None
        if status != 200:
            error = error_of(status, data)
            raise GraphUnavailable(f"the Graph API refused the number {self.phone_number_id} "
                                   f"or the token ({error.code}: {error.message})")
        return str(data.get("display_phone_number") or self.phone_number_id)

    async def send(self, body: Json) -> SendResult:
        """Sends one message body (its `to` and `type` set); the ref is the message's wamid."""
        slot = await self.limiter.acquire()
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **body}
        try:
            async with self.http.post(f"{self.base}/{self.phone_number_id}/messages",
                                      json=payload) as answer:
                status, data = answer.status, await _json(answer)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return SendResult.failed(f"{type(exc).__name__}: {exc}")
        finally:
            self.limiter.done(slot)
        if status == 200:
            messages = data.get("messages") or [{}]
            return SendResult.ok(str(messages[0].get("id") or "") or None)
        return result_of(error_of(status, data))

    async def media(self, media_id: str) -> tuple[bytes, str]:
        """A media file a user sent (its bytes and MIME type): its URL first, then the file."""
        try:
            async with self.http.get(f"{self.base}/{media_id}") as meta:
                status, data = meta.status, await _json(meta)
            if status != 200 or not data.get("url"):
                error = error_of(status, data)
                raise GraphUnavailable(f"media {media_id}: {error.code} {error.message}")
            async with self.http.get(str(data["url"])) as file:
                file.raise_for_status()
                content = await file.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphUnavailable(f"media {media_id}: {exc}") from None
        return content, str(data.get("mime_type") or "application/octet-stream")


async def _json(answer: aiohttp.ClientResponse) -> Json:
    try:
        data = await answer.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
