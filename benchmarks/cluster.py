"""A deployment on this machine, for the scale-out test and benchmark: web workers and scheduler
workers as real `coachbot run --role …` processes on one PostgreSQL, the fake Bot API as
Telegram, and the test as the load balancer (it POSTs each update to the worker it picks).

    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, \\
            Cluster(fake, db_url, web=2, schedulers=1) as cluster:
        await cluster.post(0, cluster.message(uid, "/help", update_id=1))
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes import FakeBotAPI

ROOT = Path(__file__).resolve().parents[1]
COACHBOT = str(Path(sys.executable).parent / "coachbot")
SECRET = "cluster-secret"
START = 240.0  # seconds a process may take to start on a loaded 2-core machine
Json = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop_with_parent() -> None:
    """In the child (Linux): SIGTERM when the test or benchmark process dies, so an
    interrupted run leaves no workers behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Cluster:
    def __init__(self, fake: FakeBotAPI, db_url: str, *, web: int, schedulers: int = 0,
                 packs_dir: Path | None = None, pack: str | None = None, **env: str):
        self.fake = fake
        self.env = {**os.environ, "COACHBOT_DATABASE_URL": db_url,
                    "COACHBOT_TELEGRAM_TOKEN": fake.token,
                    "COACHBOT_TELEGRAM_API_BASE": fake.base_url,
                    "COACHBOT_WEBHOOK_SECRET": SECRET, "COACHBOT_LOG_LEVEL": "WARNING",
                    **({"COACHBOT_PACKS_DIR": str(packs_dir)} if packs_dir else {}),
                    **({"COACHBOT_DEFAULT_PACK": pack} if pack else {}), **env}
        self.web_ports = [free_port() for _ in range(web)]
        self.sched_ports = [free_port() for _ in range(schedulers)]
        self.web: list[subprocess.Popen[bytes]] = []
        self.schedulers: list[subprocess.Popen[bytes]] = []
        self.http: aiohttp.ClientSession | None = None
        self._messages = itertools.count(1)
        # each process's stderr goes to a file: a pipe nobody reads blocks the process once
        # 64 KiB of log lines wait in it, and a blocked logging call stops its event loop
        self._logs = tempfile.TemporaryDirectory(prefix="coachbot-cluster-")
        self.logs: dict[int, Path] = {}

    def _start(self, role: str, port: int) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        if role == "web":
            env["COACHBOT_WEBHOOK_LISTEN"] = f"127.0.0.1:{port}"
            env["COACHBOT_WEBHOOK_URL"] = "http://127.0.0.1:{port}/tg/hook"
        else:
            env["COACHBOT_METRICS_LISTEN"] = f"127.0.0.1:{port}"
        log = Path(self._logs.name) / f"{role}-{port}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen([COACHBOT, "run", "--role", role], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=err,
                                    preexec_fn=_stop_with_parent)
        self.logs[proc.pid] = log
        return proc

    def log_tail(self, proc: subprocess.Popen[bytes], chars: int = 3000) -> str:
        """The end of what the process wrote to stderr."""
        log = self.logs.get(proc.pid)
        return log.read_text(errors="replace")[-chars:] if log and log.exists() else ""

    async def __aenter__(self) -> Cluster:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.web = [self._start("web", p) for p in self.web_ports]
        self.schedulers = [self._start("scheduler", p) for p in self.sched_ports]
        for proc, port in zip([*self.web, *self.schedulers],
                              [*self.web_ports, *self.sched_ports], strict=True):
            await self._wait_ready(proc, port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if exc[0] is not None:  # what the processes said, beside the failure
            for p in [*self.web, *self.schedulers]:
                print(f"--- {p.args[-1]} {p.pid}:\n{self.log_tail(p)}", file=sys.stderr)
        for p in [*self.web, *self.schedulers]:
            if p.poll() is None:
                p.terminate()
        for p in [*self.web, *self.schedulers]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.http is not None:
            await self.http.close()
        self._logs.cleanup()

    async def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> None:
        assert self.http is not None
        end = time.monotonic() + START
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise RuntimeError(f"worker ended at start-up: {self.log_tail(proc)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with self.http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError("worker did not become ready")

    def message(self, user_id: int, text: str, update_id: int) -> Json:
        """A Telegram update: the partner `user_id` typed `text` in their private chat."""
        entities = ([{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                    if text.startswith("/") else [])
        who = {"id": user_id, "is_bot": False, "first_name": f"P{user_id}",
               "language_code": "id"}
        return {"update_id": update_id, "message": {
            "message_id": next(self._messages), "date": int(time.time()), "from": who,
            "chat": {"id": user_id, "type": "private", "first_name": who["first_name"]},
            "text": text, "entities": entities}}

    async def post(self, worker: int, update: Json) -> None:
        """POSTs the update to a web worker as Telegram would; returns once it answered 200
        (the worker answers after handling the update and sending the replies)."""
        assert self.http is not None
        url = f"http://127.0.0.1:{self.web_ports[worker]}/tg/hook"
        for _ in range(50):
            async with self.http.post(url, json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                                      ) as resp:
                if resp.status == 200:
                    return
            await asyncio.sleep(0.1)  # as Telegram retries a webhook that failed
        raise RuntimeError(f"worker {worker} kept refusing update {update['update_id']}")

    async def metrics(self, port: int) -> str:
        assert self.http is not None
        async with self.http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            return await resp.text()
