"""Prometheus metrics (names prefixed `coachbot_`), served at /metrics.

Counters and the latency histogram are counted where things happen (one update handled, one
message sent); the backlog, the FAQ bands and the open tickets are read from the database
when /metrics is scraped, so every process reports the deployment's figures for them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.core import Clock, OutboundChannel, Reply, SendResult, SendStatus
from bot.ops.repo import OpsRepo
from bot.storage.db import Database

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

UPDATES = Counter("coachbot_updates", "Inbound updates by channel and outcome "
                  "(handled, duplicate, error)", ["channel", "outcome"], registry=REGISTRY)
HANDLER_SECONDS = Histogram(
    "coachbot_handler_seconds", "Time to handle one update, waiting for the partner's turn "
    "included", ["channel"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
SENDS = Counter("coachbot_sends", "Messages sent, by channel, path (reply: in the "
                "conversation, outbox: by the dispatcher) and result "
                "(ok, retry_after, blocked, failed)", ["channel", "path", "result"],
                registry=REGISTRY)
RATE_LIMITED = Counter("coachbot_rate_limited", "Sends refused by the platform's flood "
                       "control (HTTP 429)", ["channel"], registry=REGISTRY)
OUTBOX_BACKLOG = Gauge("coachbot_outbox_backlog", "Outbox rows waiting to be sent, by kind",
                       ["kind"], registry=REGISTRY)
FAQ_BANDS = Gauge("coachbot_faq_questions_last_hour", "FAQ questions asked in the last hour, "
                  "by band (answer, offer, none)", ["band"], registry=REGISTRY)
OPEN_TICKETS = Gauge("coachbot_open_tickets", "Tickets waiting for a coach", registry=REGISTRY)

# the partner whose update this task is handling: JSON logs add it to every line
CURRENT_PARTNER: ContextVar[str | None] = ContextVar("coachbot_partner", default=None)


# the labelled children of the per-message metrics, looked up once per label set:
# `.labels()` validates and locks on every call, a few times per message
_CHILDREN: dict[tuple[object, ...], Any] = {}


def _child(metric: Counter | Histogram, *labels: str) -> Any:
    key = (metric, *labels)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*labels)
    return child


@dataclass(slots=True)
class _Outcome:
    value: str = "handled"


_OUTCOME: ContextVar[_Outcome | None] = ContextVar("coachbot_outcome", default=None)


@contextmanager
def observe_update(channel: str, user_id: str) -> Iterator[_Outcome]:
    """Counts one update and times it; the handler may say how it ended (mark_update)."""
    outcome = _Outcome()
    token = _OUTCOME.set(outcome)
    partner = CURRENT_PARTNER.set(f"{channel}:{user_id}")
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        outcome.value = "error"
        raise
    finally:
        _child(HANDLER_SECONDS, channel).observe(time.perf_counter() - started)
        _child(UPDATES, channel, outcome.value).inc()
        _OUTCOME.reset(token)
        CURRENT_PARTNER.reset(partner)


def mark_update(outcome: str) -> None:
    """Says how the update being handled ended (e.g. "duplicate")."""
    current = _OUTCOME.get()
    if current is not None:
        current.value = outcome


def record_send(channel: str, path: str, result: SendResult) -> None:
    _child(SENDS, channel, path, result.status.value).inc()
    if result.status is SendStatus.RETRY_AFTER:
        _child(RATE_LIMITED, channel).inc()


class MeteredChannel:
    """An outbound channel whose sends are counted (what the dispatcher sends through)."""

    def __init__(self, inner: OutboundChannel, path: str = "outbox"):
        self.inner = inner
        self.name = inner.name
        self.path = path

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        result = await self.inner.send(chat_id, reply)
        record_send(self.name, self.path, result)
        return result

    async def send_kind(self, chat_id: str, reply: Reply, kind: str | None) -> SendResult:
        """A row of a kind the channel sends its own way (WhatsApp templates, Telegram paid
        broadcasts), counted like any other send."""
        send_kind = getattr(self.inner, "send_kind", None)
        if send_kind is None:
            return await self.send(chat_id, reply)
        result: SendResult = await send_kind(chat_id, reply, kind)
        record_send(self.name, self.path, result)
        return result

    def __getattr__(self, attr: str) -> object:  # the channel's other abilities, unchanged
        return getattr(self.inner, attr)


async def refresh(db: Database, clock: Clock) -> None:
    """Reads the deployment-wide gauges from the database."""
    async with db.transaction() as session:
        repo = OpsRepo(session)
        backlog = await repo.outbox_backlog()
        bands = await repo.faq_bands(since=clock.now() - timedelta(hours=1))
        tickets = await repo.open_tickets()
    OUTBOX_BACKLOG.clear()
    for kind, n in backlog.items():
        OUTBOX_BACKLOG.labels(kind).set(n)
    FAQ_BANDS.clear()
    for band in ("answer", "offer", "none"):
        FAQ_BANDS.labels(band).set(bands.get(band, 0))
    OPEN_TICKETS.set(tickets)


def render() -> bytes:
    return generate_latest(REGISTRY)
