"""One schedule per deployment: the process holding the leader lock runs the planner and the
features' jobs (digest, reports); dispatchers run everywhere.

On PostgreSQL the lock is a session advisory lock on a connection of its own. When the holder
dies its connection closes and the server frees the lock at once; a holder whose host vanished
is dropped by the server's keepalives (set short on that connection), and the holder itself
steps down as soon as its connection stops answering. The others try again every
COACHBOT_LEADER_INTERVAL seconds, so the schedule moves within about one interval (the
"lease"). On SQLite there is one process by design, and it leads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# the advisory-lock key of the schedule: any fixed 64-bit number no other lock uses
SCHEDULE_LOCK = 0x636F616368  # "coach"
# the server drops a silent holder after about idle + interval x count seconds
KEEPALIVE = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2",
             "tcp_keepalives_count": "3"}


def process_name() -> str:
    """Who holds the lock, as the server's pg_stat_activity shows it."""
    return f"coachbot-scheduler {socket.gethostname()}:{os.getpid()}"[:63]


class Leadership(Protocol):
    """Whether this process runs the deployment's schedule."""

    @property
    def held(self) -> bool: ...

    async def check(self) -> bool:
        """Takes the lead if it is free, or confirms it is still ours; returns `held`."""
        ...

    async def release(self) -> None:
        """Gives the lead up (at shutdown), so another process takes it at once."""
        ...


class SoleLeader:
    """SQLite: one process, always the leader."""

    held = True

    async def check(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLeader:
    """The lead as a PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, url: str, key: int = SCHEDULE_LOCK, name: str | None = None):
        self.key = key
        self.name = name or process_name()
        settings = {"application_name": self.name, **KEEPALIVE}
        self.engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                                          connect_args={"server_settings": settings})
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def check(self) -> bool:
        if self._conn is not None:
            try:
                still = (await self._conn.execute(text(
                        "select count(*) from pg_locks where locktype = 'advisory' and granted "
                    "and pid = pg_backend_pid() "
                    "and classid::bigint = (cast(:k as bigint) >> 32) "
                    "and objid::bigint = (cast(:k as bigint) & 4294967295)"),
                    {"k": self.key})).scalar_one()
            except Exception:
                log.warning("lost the connection holding the schedule; stepping down")
                await self._drop()
                return False
            if still:
                return True
            log.warning("the schedule lock is no longer ours; stepping down")
            await self._drop()
            return False
        conn: AsyncConnection | None = None
        try:
            conn = await self.engine.connect()
            got = (await conn.execute(text("select pg_try_advisory_lock(cast(:k as bigint))"),
                                      {"k": self.key})).scalar_one()
        except Exception:
            log.warning("could not reach the database to take the schedule; trying later")
            if conn is not None:
                await _close(conn)
            return False
        if not got:
            await _close(conn)
            return False
        self._conn = conn
        log.info("this process (%s) now runs the schedule", self.name)
        return True

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("select pg_advisory_unlock(cast(:k as bigint))"),
                                         {"k": self.key})
                log.info("schedule released by %s", self.name)
            except Exception:
                log.warning("could not release the schedule lock; the server frees it when "
                            "the connection closes")
            await self._drop()
        await self.engine.dispose()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _close(conn)


async def _close(conn: AsyncConnection) -> None:
    try:
        await conn.close()
    except Exception:  # already broken: dropping it is all that was left to do
        with contextlib.suppress(Exception):
            await conn.invalidate()


def leadership_for(url: str, is_postgres: bool) -> Leadership:
    """The right leadership for the database the deployment runs on."""
    return AdvisoryLeader(url) if is_postgres else SoleLeader()
