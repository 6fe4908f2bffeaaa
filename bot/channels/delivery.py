"""Delivering one turn's replies: what every channel does with a send result.

An adapter only sends (and, where its platform can, edits a message or clears its buttons)
and maps the platform's answer to a `SendResult`; what happens next is decided here, once
for all channels:

- retry_after: wait inline when the wait is short (`inline_retry_max`), else hand this reply
  and the rest of the turn to the outbox, so the partner gets them late rather than never;
- blocked: drop the rest of that chat's replies (the next would be refused too);
- failed: log it and go on with the next reply;
- wait (the chat cannot take a message now): this reply and the chat's next ones go to the
  outbox, where they wait until it can;
- a reply marked `edit` replaces the message whose button was pressed, once per turn;
- when nothing replaced it, the pressed message's buttons are spent and are removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.core import Clock, Inbound, Reply, SendResult, SendStatus
from bot.ops.metrics import record_send
from bot.storage.repos import Repos
from scheduler.outbox import Outbox
from scheduler.replies import reply_key

if TYPE_CHECKING:
    from bot.storage.db import Database

log = logging.getLogger(__name__)

INLINE_ATTEMPTS = 3  # sends of one reply before it is deferred even if each wait was short

# hands replies that could not be sent now to the outbox: (chat_id, replies, retry_after, key)
Defer = Callable[[str, list[Reply], float, str], Awaitable[None]]
# settles the outbox row of a reply recorded with its turn, by dedupe key
Settle = Callable[[str], None]


class Adapter(Protocol):
    """What delivery needs of a channel: its name and a send."""

    name: str

    async def send(self, chat_id: str, reply: Reply) -> SendResult: ...


@runtime_checkable
class Edits(Protocol):
    """An adapter whose platform can replace a sent message's text and buttons."""

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult: ...


@runtime_checkable
class ClearsButtons(Protocol):
    """An adapter whose platform can remove the buttons of a sent message."""

    async def clear_buttons(self, chat_id: str, message_id: str) -> SendResult: ...


class Delivery:
    """Sends a turn's replies through one adapter, acting on each send result."""

    def __init__(self, adapter: Adapter, *, inline_retry_max: float = 2.0,
                 defer: Defer | None = None, key_prefix: str | None = None,
                 settle: Settle | None = None):
        self.adapter = adapter
        # settles the outbox row of each reply recorded with the turn (scheduler/replies.py)
        self.settle = settle
        self.inline_retry_max = inline_retry_max
        self.defer = defer
        # deferred rows' dedupe keys start with this; a redelivered update adds no copies
        self.key_prefix = key_prefix or adapter.name
        # what the platform can do is fixed per adapter: looked up once, not per reply
        self._edit = adapter.edit if isinstance(adapter, Edits) else None
        self._clear = adapter.clear_buttons if isinstance(adapter, ClearsButtons) else None

    async def deliver(self, msg: Inbound, replies: Sequence[Reply]) -> None:
        """Delivers the replies to `msg` in order; never raises for a refused send."""
        edited = False
        pending = list(enumerate(replies))
        while pending:
            index, reply = pending.pop(0)
            chat_id = self._target(msg, reply)
            if chat_id is None:
                self._settle(msg, index)
                continue
            for attempt in range(INLINE_ATTEMPTS):
                if (self._edit is not None and reply.edit and msg.message_ref
                        and chat_id == msg.chat_id and not edited):
                    result = await self._edit(chat_id, msg.message_ref, reply)
                    edited = result.status is SendStatus.OK
                else:
                    result = await self.adapter.send(chat_id, reply)
                record_send(self.adapter.name, "reply", result)
                if result.status is not SendStatus.RETRY_AFTER:
                    break
                if (result.retry_after > self.inline_retry_max
                        or attempt == INLINE_ATTEMPTS - 1):
                    later = [(index, reply), *pending]
                    await self._defer(chat_id, [r for _, r in later], result.retry_after, msg)
                    for i, _ in later:  # the deferred copies are sent instead
                        self._settle(msg, i)
                    pending = []
                    break
                await asyncio.sleep(result.retry_after)
            if result.status is SendStatus.OK:
                self._settle(msg, index)
            elif result.status is SendStatus.WAIT:
                # the chat cannot take a message now (WhatsApp's 24-hour window): this reply
                # and the chat's next ones wait in the outbox until it can
                waiting = [(index, reply), *((i, r) for i, r in pending
                                             if self._target(msg, r) == chat_id)]
                await self._defer(chat_id, [r for _, r in waiting], 0.0, msg)
                for i, _ in waiting:  # the deferred copies are sent instead
                    self._settle(msg, i)
                pending = [p for p in pending if p not in waiting]
            elif result.status is SendStatus.BLOCKED:
                log.warning("chat %s cannot be reached: %s", chat_id, result.reason)
                self._settle(msg, index)
                dropped = [(i, r) for i, r in pending if self._target(msg, r) == chat_id]
                for i, _ in dropped:
                    self._settle(msg, i)
                pending = [p for p in pending if p not in dropped]
            elif result.status is SendStatus.FAILED:
                log.error("reply to %s failed: %s", chat_id, result.reason,
                          extra={"update_id": msg.update_id})
                self._settle(msg, index)
        if (self._clear is not None and msg.payload is not None and msg.message_ref
                and replies and not edited):
            # the pressed message's buttons are spent: remove them so they cannot go stale
            res = await self._clear(msg.chat_id, msg.message_ref)
            if res.status is not SendStatus.OK:
                log.debug("keyboard of %s/%s kept: %s", msg.chat_id, msg.message_ref,
                          res.reason)

    def _settle(self, msg: Inbound, index: int) -> None:
        """The reply is done with (sent, refused, or deferred to a row of its own)."""
        if self.settle is not None and msg.update_id is not None:
            self.settle(reply_key(msg.channel, msg.update_id, index))

    def _target(self, msg: Inbound, reply: Reply) -> str | None:
        if reply.to_channel not in (None, self.adapter.name):
            log.warning("reply for channel %s dropped: out-of-band messages go through the "
                        "outbox", reply.to_channel)
            return None
        return reply.to_chat or msg.chat_id

    async def _defer(self, chat_id: str, replies: list[Reply], retry_after: float,
                     msg: Inbound) -> None:
        if self.defer is None:
            log.error("%d replies to %s lost to flood control (retry after %.0fs)",
                      len(replies), chat_id, retry_after)
            return
        await self.defer(chat_id, replies, retry_after,
                         f"{self.key_prefix}:{msg.update_id}:{chat_id}")


async def defer_to_outbox(db: Database, clock: Clock, channel: str, chat_id: str,
                          replies: list[Reply], retry_after: float, key: str) -> None:
    """Puts replies a platform would not take now into the outbox, due after retry_after.

    The one place deferred replies are written (a `Defer` once bound to a database, a clock
    and a channel); the dispatcher sends them like any other row.
    """
    now = clock.now()
    due = now + timedelta(seconds=max(retry_after, 1.0))
    async with db.transaction() as session:
        repos = Repos(session)
        partner = await repos.partners.get(channel, chat_id)
        for i, reply in enumerate(replies):
            await repos.get(Outbox).add(
                channel=channel, chat_id=chat_id, kind="reply", reply=reply,
                due_at=due, dedupe_key=f"{key}:{i}", now=now,
                partner_id=partner.id if partner else None)
    log.warning("flood control on chat %s: %d replies go out via the outbox in %.0fs",
                chat_id, len(replies), retry_after)
