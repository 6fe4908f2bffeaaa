"""A broadcast to 3,000 WhatsApp partners at the number's throughput, against the strict fake
Cloud API (tests/fakes/graph_api.py: 80 messages/s in any one-second window, error 130429
beyond it).

The broadcast runs the way a coach runs it: `coachbot broadcast send --dispatch --yes` in its
own process (the real WhatsApp adapter and its aiohttp client pointed at the fake through
COACHBOT_WHATSAPP_API_BASE; the outbox; the dispatcher's pump), beside `coachbot run --role
web`, which takes WhatsApp's status webhooks (the fake reports `sent` for every accepted
message, echoing the outbox row id the send carried). Every partner wrote within the day, so
the window is open. Runs, in the same process run:

  baseline  the adapter's client alone: rendered sends paced by the dispatcher's aiolimiter
            bucket in a loop, no database, no outbox, no retries (what the machine lets us
            do at best);
  outbox    the whole broadcast through the outbox and dispatcher;
  crash     the same with `kill -9` of the sending process halfway, then
            `coachbot broadcast watch ID --dispatch` to carry on: rows in flight at the kill
            are settled by their `sent` reports or, with none after the grace
            (COACHBOT_WHATSAPP_CONFIRM_GRACE), sent again.

Reported: elapsed against the ideal N / rate, the steady rate as a share of the configured
one and of the baseline's, 130429 refusals, duplicates and losses (counted by the fake).
Target: >= 95% of the throughput, no duplicate and none lost, also after the crash.

    .venv/bin/python -m benchmarks.bench_whatsapp [--partners 3000] [--backend postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import func, insert, select

from benchmarks.bench_broadcast import _broadcast_id, _cli, _sent, _summary, _wait
from benchmarks.common import fresh_database, postgres_available
from bot.channels.whatsapp.graph import GraphClient
from bot.channels.whatsapp.render import render
from bot.core import Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, OutboxStatus, Partner, WhatsAppChat
from scheduler.dispatcher import smooth_limiter
from tests.fakes.graph_api import APP_SECRET, VERIFY_TOKEN, FakeGraphAPI

RATE = 80.0
GRACE = 5.0
TEXT = "📣 Webinar *Live selling* malam ini 19:00 WIB. Sampai ketemu!"


@dataclass
class Run:
    name: str
    messages: int
    elapsed: float
    refused: int
    duplicates: int
    lost: int
    steady_rate: float
    summary: str = ""
    note: str = ""


def _account(fake: FakeGraphAPI, numbers: list[str], since: int, refused_since: int,
             restart_at: float | None = None) -> Run:
    sent = fake.sent[since:]
    wanted = set(numbers)
    per = Counter(s.to for s in sent if s.to in wanted)
    ok = [s for s in sent if s.to in wanted]
    duplicates = sum(n - 1 for n in per.values() if n > 1)
    lost = sum(1 for w in numbers if per[w] == 0)
    refused = len(fake.refused[refused_since:])
    if not ok:
        return Run("", 0, 0.0, refused, duplicates, lost, 0.0)
    start, end = min(s.at for s in ok), max(s.at for s in ok)
    # the steady rate: after the first second, and (after a crash) not counting the gap
    # between the kill and the restarted process's first send
    gap = 0.0
    if restart_at is not None:
        before = [s.at for s in ok if s.at <= restart_at]
        after = [s.at for s in ok if s.at > restart_at]
        if before and after:
            gap = min(after) - max(before)
    steady = [s for s in ok if s.at > start + 1.0]
    span = end - start - 1.0 - gap
    rate = len(steady) / span if span > 0 else 0.0
    return Run("", len(ok), end - start, refused, duplicates, lost, rate)


async def _baseline(fake: FakeGraphAPI, n: int) -> Run:
    """The client alone under the dispatcher's bucket: sends in a loop, no storage."""
    numbers = [f"62{80_000_000_000 + i}" for i in range(n)]
    now = datetime.now(UTC)
    for w in numbers:
        fake.last_inbound[w] = now
    client = GraphClient(fake.base_url, fake.token, fake.phone_number_id, rate=RATE)
    limiter = smooth_limiter(RATE)
    assert limiter is not None
    since, refused_since = len(fake.sent), len(fake.refused)
    sem = asyncio.Semaphore(64)

    async def one(wa_id: str) -> None:
        async with sem:
            await limiter.acquire()
            for body in render(wa_id, Reply(TEXT)).bodies:
                await client.send(body)

    try:
        await asyncio.gather(*(one(w) for w in numbers))
    finally:
        await client.close()
    run = _account(fake, numbers, since, refused_since)
    run.name = "baseline (client + limiter, no outbox)"
    return run


async def _add_partners(db: Database, fake: FakeGraphAPI, n: int, first: int) -> list[str]:
    numbers = [f"62{first + i}" for i in range(n)]
    now = datetime.now(UTC)
    for w in numbers:
        fake.last_inbound[w] = now
    partners = [{"channel": "whatsapp", "external_id": w, "chat_id": w, "language": "id",
                 "timezone": "Asia/Jakarta", "role": "partner",
                 "pack_id": "mitra-onboarding", "state": "menu", "opted_out": False,
                 "blocked": False, "created_at": now, "last_active_at": now} for w in numbers]
    chats = [{"wa_id": w, "last_inbound_at": now, "opt_in": "wrote_first", "menu": None,
              "updated_at": now} for w in numbers]
    async with db.transaction() as s:
        for i in range(0, n, 1000):
            await s.execute(insert(Partner), partners[i:i + 1000])
            await s.execute(insert(WhatsAppChat), chats[i:i + 1000])
    return numbers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _web(env: dict[str, str], workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """`coachbot run --role web`: the webhook that takes WhatsApp's status reports."""
    proc = _cli(["run", "--role", "web"], env, workdir / f"web-{port}.log")
    url = f"http://127.0.0.1:{port}/whatsapp"
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                async with http.get(url, params=params) as answer:
                    if answer.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the web process did not serve {url}; see {workdir}")


def _env(fake: FakeGraphAPI, db: Database) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    env.update({
        "COACHBOT_DATABASE_URL": db.url,
        "COACHBOT_WHATSAPP_TOKEN": fake.token,
        "COACHBOT_WHATSAPP_PHONE_NUMBER_ID": fake.phone_number_id,
        "COACHBOT_WHATSAPP_APP_SECRET": APP_SECRET,
        "COACHBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "COACHBOT_WHATSAPP_API_BASE": fake.base_url,
        "COACHBOT_WHATSAPP_RATE": str(RATE),
        "COACHBOT_SEND_RATE": str(RATE),
        "COACHBOT_SEND_CHAT_INTERVAL": "1.0",
        "COACHBOT_DISPATCH_INTERVAL": "0.05",
        "COACHBOT_OUTBOX_LEASE": "3",
        # the status reports of a crashed run's in-flight rows come within a second here
        "COACHBOT_WHATSAPP_CONFIRM_GRACE": str(GRACE),
        "COACHBOT_DASHBOARD_ENABLED": "false",
        "COACHBOT_LOG_LEVEL": "WARNING",
        "COLUMNS": "100",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    })
    return env


async def _run(fake: FakeGraphAPI, db: Database, numbers: list[str], workdir: Path, *,
               crash: bool) -> Run:
    env = _env(fake, db)
    port = _free_port()
    web_env = {**env, "COACHBOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}"}
    web = await _web(web_env, workdir, port)
    fake.webhook = f"http://127.0.0.1:{port}/whatsapp"
    try:
        return await _send(fake, db, numbers, workdir, env, crash=crash)
    finally:
        await fake.settled()
        fake.webhook = None
        web.terminate()
        web.wait()


async def _send(fake: FakeGraphAPI, db: Database, numbers: list[str], workdir: Path,
                env: dict[str, str], *, crash: bool) -> Run:
    since, refused_since = len(fake.sent), len(fake.refused)
    log = workdir / ("send-crash.log" if crash else "send.log")
    limit = 4 * len(numbers) / RATE + 120
    proc = _cli(["broadcast", "send", "--segment", "all", "--text", TEXT, "--dispatch",
                 "--yes"], env,
                log)
    killed_at: float | None = None
    note = ""
    if not crash:
        await _wait(proc, limit)
        summary = _summary(log)
    else:
        while proc.poll() is None and await _sent(db) < len(numbers) // 2:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.45)  # land in the middle of a claimed batch
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        proc.wait()
        async with db.transaction() as s:
            in_flight = int((await s.execute(select(func.count()).select_from(OutboxMessage)
                                              .where(OutboxMessage.status ==
                                                     OutboxStatus.SENDING.value))).scalar_one())
        sent_at_kill = await _sent(db)
        await fake.settled()  # the reports of what WhatsApp accepted before the kill
        settled_at_restart = await _sent(db)
        log2 = workdir / "watch-after-crash.log"
        proc2 = _cli(["broadcast", "watch", str(await _broadcast_id(db)), "--dispatch"], env,
                     log2)
        await _wait(proc2, limit)
        summary = _summary(log2)
        note = (f"killed with {sent_at_kill} recorded as sent and {in_flight} claimed "
                f"(in flight); {settled_at_restart - sent_at_kill} settled by WhatsApp's "
                f"status reports before the restart")
    run = _account(fake, numbers, since, refused_since, killed_at)
    run.name = "outbox, kill -9 halfway + restart" if crash else "outbox + dispatcher (CLI)"
    run.summary, run.note = summary, note
    return run


def _row(r: Run, base: Run | None) -> str:
    vs = r.steady_rate / base.steady_rate if base and base.steady_rate else 0.0
    return (f"| {r.name} | {r.messages} | {r.elapsed:.1f} | {r.steady_rate:.2f} | "
            f"{r.steady_rate / RATE:.3f} | {vs:.3f} | {r.refused} | {r.duplicates} | "
            f"{r.lost} |")


async def main_async(n: int, backend: str, baseline_n: int, which: set[str]) -> None:
    """Runs the chosen runs, printing each one's row as soon as it is measured (a run can be
    measured on its own: `--runs crash`)."""
    if backend == "postgres" and not await postgres_available():
        print("PostgreSQL is not reachable; using SQLite", flush=True)
        backend = "sqlite"
    workdir = Path(tempfile.mkdtemp(prefix="bench-whatsapp-"))
    print(f"WhatsApp broadcast to {n} partners, fake Cloud API at {RATE:g}/s, database "
          f"{backend}; ideal {n / RATE:.1f} s; logs: {workdir}\n\n"
          "| run | messages ok | elapsed s | steady msg/s | of throughput | vs baseline "
          "| 130429 | duplicates | lost |\n|---|---|---|---|---|---|---|---|---|", flush=True)
    base: Run | None = None
    async with FakeGraphAPI(rate=RATE) as fake:
        if "baseline" in which:
            base = await _baseline(fake, baseline_n)
            print(_row(base, base), flush=True)
            await asyncio.sleep(1.5)
        for crash in (False, True):
            if ("crash" if crash else "outbox") not in which:
                continue
            async with fresh_database(backend, workdir) as db:
                first = 81_200_000_000 + (10_000_000 if crash else 0)
                numbers = await _add_partners(db, fake, n, first)
                run = await _run(fake, db, numbers, workdir, crash=crash)
            print(_row(run, base), flush=True)
            print(f"  `{run.summary}`" + (f" — {run.note}" if run.note else ""), flush=True)
            await asyncio.sleep(1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=3000)
    parser.add_argument("--baseline", type=int, default=800, help="sends in the baseline")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--runs", default="baseline,outbox,crash",
                        help="which runs, comma-separated: baseline, outbox, crash")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    asyncio.run(main_async(args.partners, args.backend, args.baseline,
                           set(args.runs.split(","))))


if __name__ == "__main__":
    main()
