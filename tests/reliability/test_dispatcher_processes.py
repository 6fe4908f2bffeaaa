"""Two dispatchers as two OS processes (issue 16, finding 6): `coachbot run --role worker`
twice on one PostgreSQL database drain one broadcast against a strict fake Bot API with a
sliding 1-second window (30 sends/s). One send rate for the deployment: at least 0.95 of the
limit, no refusal after the first second, no row sent twice.

Run with `-s` to see the figures (docs/bench/reliability.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import insert

from benchmarks.cluster import _stop_with_parent, free_port
from bot.core import Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.outbox import payload_of
from tests.reliability.processes import COACHBOT, START, bot_env
from tests.scheduler.test_restarts import db_url, status_counts
from tests.scheduler.test_shared_rate import LIMIT, RATE, WindowBotAPI

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
MESSAGES = int(os.environ.get("COACHBOT_TEST_SHARED_RATE_MESSAGES", "300"))
_SENT = re.compile(r'^coachbot_sends_total\{channel="telegram",path="outbox",result="ok"\} '
                   r"([0-9.e+]+)$", re.M)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _worker(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([COACHBOT, "run", "--role", "worker"], cwd=log.parent,
                                env={**env, "COACHBOT_METRICS_LISTEN": f"127.0.0.1:{port}"},
                                stdout=out, stderr=out, start_new_session=True,
                                preexec_fn=_stop_with_parent)


async def _ready(http: aiohttp.ClientSession, proc: subprocess.Popen[bytes], port: int,
                 log: Path) -> None:
    end = time.monotonic() + START
    while time.monotonic() < end:
        assert proc.poll() is None, f"worker ended at start-up: {_tail(log)}"
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise AssertionError("worker did not become ready")


async def _sent_by(http: aiohttp.ClientSession, port: int) -> int:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        found = _SENT.search(await resp.text())
    return int(float(found.group(1))) if found else 0


async def test_two_worker_processes_share_one_rate(database: Database, tmp_path: Path) -> None:
    if not database.is_postgres:
        pytest.skip("several dispatcher processes share a rate through PostgreSQL only")
    async with WindowBotAPI(LIMIT) as fake, aiohttp.ClientSession() as http:
        chats = [fake.user(f"P{i}").chat_id for i in range(MESSAGES)]
        env = bot_env(fake, db_url(database), COACHBOT_SEND_RATE=str(RATE),
                      COACHBOT_DISPATCH_INTERVAL="0.1")
        ports = [free_port(), free_port()]
        logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
        procs = [_worker(env, p, log) for p, log in zip(ports, logs, strict=True)]
        try:
            for proc, port, log in zip(procs, ports, logs, strict=True):
                await _ready(http, proc, port, log)
            # the broadcast is written once both dispatchers are running, as a coach's
            # /broadcast would be
            now = datetime.now(UTC)
            payload = payload_of(Reply("📣 Webinar malam ini 19:00 WIB"))
            async with database.transaction() as s:
                await s.execute(insert(OutboxMessage), [
                    {"channel": "telegram", "chat_id": str(c), "kind": "broadcast",
                     "payload": payload, "due_at": now, "dedupe_key": f"bc:1:{c}",
                     "status": "pending", "attempts": 0, "created_at": now} for c in chats])

            async def all_sent() -> bool:
                return (await status_counts(database))["sent"] == MESSAGES

            end = time.monotonic() + MESSAGES / RATE * 4 + 60  # a hang guard
            while not await all_sent():
                for proc, log in zip(procs, logs, strict=True):
                    assert proc.poll() is None, f"a worker died: {_tail(log)}"
                assert time.monotonic() < end, f"not drained: {await status_counts(database)}"
                await asyncio.sleep(0.2)
            shares = [await _sent_by(http, p) for p in ports]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs:
                try:
                    await asyncio.to_thread(proc.wait, 30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    report = fake.send_report()
    ok, refused, late, rate, per_chat = (report.ok, report.refused, report.late, report.rate,
                                         report.per_chat)
    start, end_at = report.start, report.end
    print(f"\ntwo worker processes: {len(ok)} sent in {end_at - start:.2f} s, steady "
          f"{rate:.2f}/s = {rate / LIMIT:.3f} of the limit {LIMIT}/s (configured {RATE}/s), "
          f"429s: {len(refused)} ({len(late)} after the first second), sent by each process: "
          f"{shares}, duplicates {sum(n - 1 for n in per_chat.values())}")
    assert sorted(per_chat) == sorted(chats) and max(per_chat.values()) == 1, "once each"
    assert all(shares) and sum(shares) == MESSAGES, f"both processes sent: {shares}"
    assert late == [], f"{len(late)} sends refused after the first second"
    assert rate >= 0.95 * LIMIT
