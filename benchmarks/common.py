"""Shared benchmark helpers: fresh databases, latency percentiles, peak memory."""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import Database

PG_URL = os.environ.get("COACHBOT_BENCH_DATABASE_URL") or os.environ.get(
    "COACHBOT_TEST_DATABASE_URL") or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def postgres_available() -> bool:
    try:
        await asyncio.wait_for(_pg_admin("select 1"), 5)
    except Exception:
        return False
    return True


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path) -> AsyncIterator[Database]:
    """A migrated, empty database that is removed afterwards."""
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        try:
            yield db
        finally:
            await db.dispose()
            for p in workdir.glob(path.name + "*"):  # noqa: ASYNC240 (teardown, not a hot path)
                p.unlink()
        return
    name = f"coachbot_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    db = Database(f"{PG_URL.rpartition('/')[0]}/{name}")
    await db.migrate()
    try:
        yield db
    finally:
        await db.dispose()
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
