"""One send rate for the whole deployment, however many dispatcher processes run.

Each dispatcher process used to pace itself with its own aiolimiter bucket
(COACHBOT_SEND_RATE), so two processes together sent twice the platform's limit (163-174
HTTP 429s per broadcast measured, issue 16 point 6 / issue 20). On PostgreSQL the rate is
now a sequence of time slots, 1/rate seconds apart, handed out through one row of the
`send_rate` table:

    rate = SharedRate(db, 30.0)
    await rate.reserve(60)   # one atomic upsert ... RETURNING claims 60 consecutive slots
    await rate.acquire()     # waits for this process's next slot (claims more when out)

The upsert moves `next_slot` to max(next_slot, database now) + n / rate and returns where
the claimed run starts together with the database's now, so a process turns the slots into
its own monotonic clock without trusting its wall clock. Row locking serialises the
claims: no two processes ever hold the same slot, and the slots of all processes together
are never closer than 1/rate. A slot is used only while it is not more than `late` seconds
past (sending later would bunch with the next process's slots); older ones are dropped.
Slots a process claimed and did not use (a 429 left the rest of a chat unsent, the process
died) are lost, never given to another process: the deployment sends slower, never faster.

SQLite deployments run one process and keep the in-process bucket
(scheduler.dispatcher.smooth_limiter).

Telegram's paid broadcasts (COACHBOT_TELEGRAM_PAID_BROADCAST=1) lift broadcast messages out of
the free ~30/s, up to 1,000/s, for Telegram Stars per message. Such rows are paced by a rate
of their own (`own_rates`: its own `send_rate` row, or its own bucket on SQLite), so replies
and nudges keep the normal rate whatever a broadcast is doing.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from sqlalchemy import text

from bot.config import Settings
from bot.storage.db import Database

# the outbox rows Telegram's paid broadcasts carry (handlers/broadcasts writes this kind)
PAID_BROADCAST_KINDS = frozenset({"broadcast"})

CLAIM = text("""
    WITH t AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS now)
    INSERT INTO send_rate (name, next_slot)
    SELECT :name, t.now + :span FROM t
    ON CONFLICT (name) DO UPDATE
        SET next_slot = greatest(send_rate.next_slot, excluded.next_slot - :span) + :span
    RETURNING next_slot, (SELECT now FROM t)
""")


class SharedRate:
    """`rate` sends per second for every process sharing `name` on one PostgreSQL database."""

    def __init__(self, db: Database, rate: float, *, name: str = "outbox", chunk: int = 8,
                 late: float = 0.05):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.db = db
        self.rate = rate
        self.interval = 1.0 / rate
        self.name = name
        self.chunk = max(1, chunk)
        self.late = late
        self._slots: deque[float] = deque()  # time.monotonic() of the slots this process holds
        self._lock = asyncio.Lock()
        self.claims = 0  # round trips made (tests, benchmarks)

    async def reserve(self, n: int) -> None:
        """Claims `n` more consecutive slots (one statement) for the sends about to happen."""
        if n <= 0:
            return
        span = n * self.interval
        async with self.db.transaction() as s:
            sent_at = time.monotonic()
            end, db_now = (await s.execute(CLAIM, {"name": self.name, "span": span})).one()
            got_at = time.monotonic()
        # the statement ran somewhere between sent_at and got_at: take the middle
        local = (sent_at + got_at) / 2 + (float(end) - span - float(db_now))
        self._drop_stale()
        self._slots.extend(local + i * self.interval for i in range(n))
        self.claims += 1

    def _drop_stale(self) -> None:
        now = time.monotonic()
        while self._slots and self._slots[0] < now - self.late:
            self._slots.popleft()

    @property
    def held(self) -> int:
        self._drop_stale()
        return len(self._slots)

    async def acquire(self) -> None:
        """Waits until this process's next slot; claims `chunk` more when it holds none."""
        async with self._lock:  # slots are taken in order, one caller at a time
            self._drop_stale()
            if not self._slots:
                await self.reserve(self.chunk)
            slot = self._slots.popleft()
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


def own_rates(settings: Settings) -> dict[tuple[str, str], float]:
    """(channel, kind) -> the rate those rows are sent at, apart from COACHBOT_SEND_RATE."""
    if not settings.telegram_paid_broadcast:
        return {}
    return {("telegram", kind): settings.telegram_paid_broadcast_rate
            for kind in PAID_BROADCAST_KINDS}
