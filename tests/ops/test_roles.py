"""The people running a deployment start processes by role, watch /healthz, /readyz and
/metrics, read JSON logs, and stop a process with SIGTERM without losing the schedule."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.storage.db import Database
from tests.conftest import EXAMPLE_PACKS
from tests.scheduler.test_leader import holders
from tests.scheduler.test_restarts import db_url

ROOT = Path(__file__).resolve().parents[2]
COACHBOT = str(Path(sys.executable).parent / "coachbot")
START = 60.0  # seconds a process may take to start on a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(role: str, url: str, port: int, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "COACHBOT_DATABASE_URL": url, "COACHBOT_PACKS_DIR":
            str(EXAMPLE_PACKS), "COACHBOT_DEFAULT_PACK": "example",
            "COACHBOT_METRICS_LISTEN": f"127.0.0.1:{port}", "COACHBOT_LEADER_INTERVAL": "0.5",
            "COACHBOT_LOG_FORMAT": "json", **env}
    full.pop("COACHBOT_TELEGRAM_TOKEN", None)
    return subprocess.Popen([COACHBOT, "run", "--role", role], cwd=ROOT, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(
            f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def wait_ready(proc: subprocess.Popen[str], port: int) -> None:
    end = time.monotonic() + START
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"process ended: {proc.stderr.read() if proc.stderr else ''}")
        try:
            status, _ = await get(port, "/healthz")
            if status == 200:
                return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the process did not start listening")


def test_a_web_process_needs_a_channel_to_take_updates_from(env: Path) -> None:
    result = subprocess.run([COACHBOT, "run", "--role", "web"], cwd=ROOT, text=True,
                            capture_output=True, timeout=START, env=os.environ.copy())
    assert result.returncode == 2
    assert "COACHBOT_TELEGRAM_TOKEN" in result.stderr


def test_a_worker_needs_a_channel_to_send_through(env: Path) -> None:
    result = subprocess.run([COACHBOT, "run", "--role", "worker"], cwd=ROOT, text=True,
                            capture_output=True, timeout=START, env=os.environ.copy())
    assert result.returncode == 2
    assert "--role worker sends through a network channel" in result.stderr


def test_web_workers_behind_a_load_balancer_must_share_the_webhook_secret(env: Path) -> None:
    result = subprocess.run(
        [COACHBOT, "run", "--role", "web"], cwd=ROOT, text=True, capture_output=True,
        timeout=START, env={**os.environ, "COACHBOT_TELEGRAM_TOKEN": "1:x",
                            "COACHBOT_WEBHOOK_URL": "https://bot.example.org/tg/hook"})
    assert result.returncode == 2
    assert "COACHBOT_WEBHOOK_SECRET" in result.stderr


@pytest.mark.postgres
@pytest.mark.slow
async def test_a_scheduler_process_reports_ready_leads_and_hands_over_on_sigterm(
        database: Database) -> None:
    if not database.is_postgres:
        pytest.skip("several scheduler processes are the PostgreSQL deployment")
    ports = [free_port(), free_port()]
    first = start("scheduler", db_url(database), ports[0])
    second: subprocess.Popen[str] | None = None
    try:
        await wait_ready(first, ports[0])
        status, body = await get(ports[0], "/readyz")
        assert status == 200, body
        assert json.loads(body)["checks"] == {"packs": "ok", "database": "ok",
                                              "migrations": "ok"}
        status, body = await get(ports[0], "/metrics")
        assert status == 200
        assert "coachbot_open_tickets 0.0" in body
        assert 'coachbot_faq_questions_last_hour{band="none"} 0.0' in body
        assert [h.rsplit(":", 1)[1] for h in await holders(database)] == [str(first.pid)]

        second = start("scheduler", db_url(database), ports[1])
        await wait_ready(second, ports[1])
        assert [h.rsplit(":", 1)[1] for h in await holders(database)] == [str(first.pid)], \
            "one schedule per deployment"

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0, "a graceful stop"
        stopped = time.monotonic()
        while [h.rsplit(":", 1)[1] for h in await holders(database)] != [str(second.pid)]:
            assert time.monotonic() - stopped < 5, "the schedule moves on at once"
            await asyncio.sleep(0.1)
        logs = [json.loads(line) for line in (first.stderr.read() if first.stderr else "")
                .splitlines() if line.startswith("{")]
        assert any("now runs the schedule" in line["msg"] for line in logs)
        assert any("schedule released" in line["msg"] for line in logs)
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
