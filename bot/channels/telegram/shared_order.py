"""A chat's webhook deliveries in update-id order across web workers behind a balancer.

`UpdateOrder` (hardening.py) sorts what one process receives. With several web workers each
sees part of the updates, so they share what arrived in `webhook_arrivals`: a delivery is
recorded when it arrives, waits while an older update of its chat is recorded and not done
(another worker is on it), and, like the in-process order, waits up to `wait` seconds for a
gap below it (ids are one sequence per bot: a missing one may be its chat's, still on its
way to another worker). Per-partner turns stay serialised by the core's partner lock; this
only decides who goes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import BigInteger, String, and_, bindparam, func, select, update

from bot.core import Clock
from bot.storage.db import Database
from bot.storage.models import WebhookArrival
from bot.storage.repos import insert_once, table_of

log = logging.getLogger(__name__)

_A = table_of(WebhookArrival)
WINDOW = 200  # ids below an update looked at for a gap
FRESH = timedelta(seconds=60)  # an older arrival stops holding anyone up after this
HOLD = 30.0  # seconds at most behind an older update of the chat (its worker may have died)
POLL = 0.01  # seconds between looks while waiting
KEEP = timedelta(minutes=10)  # arrivals are pruned after this

_b = bindparam("b", type_=BigInteger())
_c = bindparam("c", type_=String())
_u = bindparam("u", type_=BigInteger())
_f = bindparam("f", type_=_A.c.arrived_at.type)
_OLDER = (select(func.count()).select_from(_A).where(
    _A.c.bot_id == _b, _A.c.chat_key == _c, _A.c.update_id < _u, _A.c.done.is_(False),
    _A.c.arrived_at > _f).scalar_subquery())
_NEAR = and_(_A.c.bot_id == _b, _A.c.update_id < _u, _A.c.update_id >= _u - WINDOW,
             _A.c.arrived_at > _f)
_LOOK = select(_OLDER,
               select(func.count()).select_from(_A).where(_NEAR).scalar_subquery(),
               select(func.min(_A.c.update_id)).where(_NEAR).scalar_subquery())


class SharedUpdateOrder:
    """`async with order.turn(chat_key, update_id)`: this worker's turn for the update."""

    def __init__(self, db: Database, clock: Clock, bot_id: int, wait: float = 0.05):
        self.db = db
        self.clock = clock
        self.bot_id = bot_id
        self.wait = wait
        self._pruned = clock.now()

    async def _arrive(self, key: str, update_id: int) -> None:
        values = {"bot_id": self.bot_id, "update_id": update_id, "chat_key": key,
                  "arrived_at": self.clock.now(), "done": False}
        async with self.db.transaction() as s:
            # a redelivery finds its first arrival: it is not behind itself
            await insert_once(s, WebhookArrival, **values)

    async def _look(self, key: str, update_id: int) -> tuple[int, bool]:
        """(older updates of the chat not done, whether an id below is missing)."""
        params = {"b": self.bot_id, "c": key, "u": update_id,
                  "f": self.clock.now() - FRESH}
        async with self.db.transaction() as s:
            older, present, lowest = (await s.execute(_LOOK, params)).one()
        return int(older), lowest is not None and int(present) < update_id - int(lowest)

    @contextlib.asynccontextmanager
    async def turn(self, key: str, update_id: int) -> AsyncIterator[None]:
        await self._arrive(key, update_id)
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            while True:
                older, gap = await self._look(key, update_id)
                waited = loop.time() - start
                if not older and (not gap or waited >= self.wait):
                    break
                if older and waited >= HOLD:
                    log.warning("update %s went ahead of an older one of its chat held for "
                                "%.0fs (a stopped worker?)", update_id, waited)
                    break
                await asyncio.sleep(POLL)
            yield
        finally:
            with contextlib.suppress(Exception):  # a fault here holds others up for FRESH
                async with self.db.transaction() as s:
                    await s.execute(update(_A).where(_A.c.bot_id == self.bot_id,
                                                     _A.c.update_id == update_id)
                                    .values(done=True))
            await self._prune()

    async def _prune(self) -> None:
        now = self.clock.now()
        if now - self._pruned < KEEP:
            return
        self._pruned = now
        with contextlib.suppress(Exception):
            async with self.db.transaction() as s:
                await s.execute(_A.delete().where(_A.c.arrived_at < now - KEEP))
