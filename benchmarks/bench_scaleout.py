"""Throughput of the webhook deployment against the number of web workers (1, 2, 4).

Each run gets a fresh PostgreSQL database and starts W `coachbot run --role web` processes;
N partners each send M messages one at a time (each waits for the worker's 200, which comes
after the bot handled the update and sent its reply to the fake Bot API), all partners at
once, each message to the next worker in turn (a round-robin load balancer). Everything (the
workers, PostgreSQL, the fake Telegram and this load generator) shares this machine's cores,
so the figures say how the processes share the CPU here, not what separate machines give.

    COACHBOT_BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m benchmarks.bench_scaleout [--partners 200] [--messages 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from pathlib import Path

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.cluster import Cluster
from bot.storage.db import Database
from tests.fakes import FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "fixtures" / "packs"
MESSAGES = ("/help", "/progress")  # one answer each, whatever the partner's state


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def run_once(base_url: str, workers: int, partners: int, messages: int) -> float:
    name = f"coachbot_bench_{uuid.uuid4().hex[:8]}"
    await _admin(base_url, f'CREATE DATABASE "{name}"')
    url = f"{base_url.rpartition('/')[0]}/{name}"
    try:
        db = Database(url)
        await db.migrate()
        await db.dispose()
        async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, \
                Cluster(fake, url, web=workers, packs_dir=EXAMPLE, pack="example",
                        COACHBOT_SCHEDULER_ENABLED="false") as cluster:
            users = [1000 + i for i in range(partners)]
            for uid in users:
                fake.user(user_id=uid)
            ids = iter(range(1, 10**9))

            async def partner(i: int, uid: int) -> None:
                for n in range(messages):
                    await cluster.post((i + n) % workers,
                                       cluster.message(uid, MESSAGES[n % 2], next(ids)))

            # one warm-up message each, then the measured ones
            await asyncio.gather(*(cluster.post(i % workers, cluster.message(uid, "/start",
                                                                             next(ids)))
                                   for i, uid in enumerate(users)))
            started = time.perf_counter()
            await asyncio.gather(*(partner(i, uid) for i, uid in enumerate(users)))
            elapsed = time.perf_counter() - started
        return partners * messages / elapsed
    finally:
        await _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--workers", default="1,2,4")
    args, _ = parser.parse_known_args()
    url = os.environ.get("COACHBOT_BENCH_DATABASE_URL") or os.environ.get(
        "COACHBOT_TEST_DATABASE_URL")
    if not url:
        print("set COACHBOT_BENCH_DATABASE_URL to a PostgreSQL database to run this benchmark")
        return
    print(f"cores: {psutil.cpu_count()} logical, load {os.getloadavg()[0]:.1f}; "
          f"{args.partners} partners x {args.messages} messages")
    base = None
    for w in (int(x) for x in args.workers.split(",")):
        load = os.getloadavg()[0]  # what the other work on the machine takes, at the start
        rate = asyncio.run(run_once(url, w, args.partners, args.messages))
        base = base or rate
        print(f"web workers {w}: {rate:7.1f} updates/s  ({rate / base:.2f}x of 1 worker, "
              f"load {load:.1f} at the start)", flush=True)


if __name__ == "__main__":
    main()
