"""Telegram adapters against the fake Bot API: updates/s and p99 reply latency.

N simulated partners each send M messages, one at a time (each waits for the bot's answer
before sending the next, as a person does), all partners at once. Measured for the coach bot
(the full core: SQLite, dedupe, partner state, handlers) through each driver, in polling and
in webhook mode, against an echo bot written the library's own way (aiogram Dispatcher /
PTB Application, in the same mode: polling, or the library's own webhook server) measured in
the same run against the same server. Target: the coach bot keeps at least 50% of the echo
bot's rate.

    .venv/bin/python -m benchmarks.bench_telegram [--partners 50] [--messages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bot.loop import CHOICES as LOOP_CHOICES
from bot.loop import loop_factory
from bot.loop import run as run_on_loop
from bot.storage.db import Database
from tests.fakes import FakeBotAPI, FakeUser

ROOT = Path(__file__).resolve().parents[1]
# each of these gets exactly one answer from the coach bot, whatever the partner's state
MESSAGES = ("/help", "/progress")


@dataclass
class Result:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float  # the bot process's CPU time (user + system) while measured

    @property
    def cpu_ms(self) -> float:
        """What one update costs the bot's process: steadier than updates/s on a shared
        machine, since time other processes take from it is not counted."""
        return self.cpu_seconds / self.updates * 1000

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def _partners(fake: FakeBotAPI, n: int, m: int, tag: str) -> tuple[float, list[float]]:
    users = [fake.user(f"{tag}{i}", language_code="en") for i in range(n)]
    latencies: list[float] = []

    async def one(user: FakeUser) -> None:
        for k in range(m):
            t0 = time.perf_counter()
            await user.send(MESSAGES[k % len(MESSAGES)])
            await user.wait_messages(1, within=60)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    elapsed = time.perf_counter() - start
    sent = sum(len(fake.chat_messages(u.id)) for u in users)
    assert sent == n * m, f"{tag}: expected {n * m} answers, got {sent}"
    return elapsed, latencies


async def _measure(name: str, argv: list[str], env: dict[str, str], mode: str, n: int,
                   m: int, workdir: Path) -> Result:
    """Starts the bot as its own process (as in production) against a fresh fake server."""
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        full_env = {**os.environ, **env, "COACHBOT_TELEGRAM_TOKEN": fake.token,
                    "COACHBOT_TELEGRAM_API_BASE": fake.base_url,
                    "COACHBOT_TELEGRAM_POLL_TIMEOUT": "1", "COACHBOT_LOG_LEVEL": "WARNING",
                    "COACHBOT_WEBHOOK_LISTEN": "127.0.0.1:0", "PYTHONPATH": str(ROOT),
                    # a closed loop answers as fast as the bot replies, far above a person's
                    # typing: flood control (issue 16) would rightly drop most of it
                    "COACHBOT_FLOOD_MESSAGES": "0", "COACHBOT_DASHBOARD_ENABLED": "false"}
        if mode == "webhook":
            full_env["COACHBOT_WEBHOOK_URL"] = "http://127.0.0.1:{port}/hook"
        else:
            full_env.pop("COACHBOT_WEBHOOK_URL", None)
        log_path = workdir / f"{name.replace(' ', '-')}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                *argv, env=full_env, cwd=workdir, stdout=log, stderr=log)
            try:
                await fake.wait_until(
                    lambda: bool(fake.calls_to("getUpdates") or fake.calls_to("setWebhook"))
                    or proc.returncode is not None, within=120, what=f"{name} to start")
                if proc.returncode is not None:
                    raise RuntimeError(f"{name} exited: {log_path.read_text()[-2000:]}")
                await _partners(fake, 5, 2, "warm")  # connections, caches, first queries
                bot_process = psutil.Process(proc.pid)
                before = bot_process.cpu_times()
                elapsed, latencies = await _partners(fake, n, m, "p")
                after = bot_process.cpu_times()
                cpu = (after.user - before.user) + (after.system - before.system)
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 30)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
    return Result(name, n * m, elapsed, latencies, cpu)


def _echo_argv(driver: str, mode: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench_telegram", "--serve-echo", driver,
            "--echo-mode", mode]


def _coachbot_argv() -> list[str]:
    return [str(Path(sys.executable).parent / "coachbot"), "run"]  # what `make run` runs


async def _serve_echo(driver: str, mode: str) -> None:
    """The echo bot's process: serves until SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    token, base = os.environ["COACHBOT_TELEGRAM_TOKEN"], os.environ["COACHBOT_TELEGRAM_API_BASE"]
    from benchmarks.echo_bots import ECHO_BOTS

    await ECHO_BOTS[driver](token, base, stop, webhook=mode == "webhook")


async def _run(n: int, m: int, drivers: list[str], database_url: str | None,
               rounds: int, event_loop: str) -> list[str]:
    loop_name = loop_factory(event_loop).__module__.split(".")[0]
    lines = [f"{n} partners x {m} messages each ({n * m} updates per bot), closed loop; "
             f"fake Bot API on 127.0.0.1 (flood control off); each bot in its own process, "
             f"both on the {loop_name} event loop; coach bot = `coachbot run` on "
             f"{'PostgreSQL' if database_url else 'a SQLite file'}; median of {rounds} "
             f"interleaved rounds", "",
             "| driver | bot | mode | updates/s | p50 ms | p99 ms | rate vs echo (same mode) | "
             "bot CPU ms/update | echo CPU / bot CPU |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for driver in drivers:
            env = {"COACHBOT_TELEGRAM_DRIVER": driver, "COACHBOT_EVENT_LOOP": event_loop}
            runs: dict[tuple[str, str], list[Result]] = {}
            # rounds interleave echo and coach bot, so load from elsewhere hits both alike;
            # each mode is compared with the library's echo bot in the same mode
            for r in range(rounds):
                for mode in ("polling", "webhook"):
                    echo = await _measure(f"{driver} echo {mode} {r}", _echo_argv(driver, mode),
                                          env, mode, n, m, workdir)
                    runs.setdefault(("echo bot", mode), []).append(echo)
                    if database_url:  # one shared database: each bot starts from empty tables
                        await _reset(database_url)
                    db_file = workdir / f"{driver}-{mode}-{r}.db"
                    url = database_url or f"sqlite+aiosqlite:///{db_file}"
                    res = await _measure(f"{driver} coachbot {mode} {r}", _coachbot_argv(),
                                         {**env, "COACHBOT_DATABASE_URL": url}, mode, n, m,
                                         workdir)
                    runs.setdefault(("coach bot", mode), []).append(res)
            for (bot, mode), results in runs.items():
                echoes = runs[("echo bot", mode)]
                echo_rate = statistics.median(x.rate for x in echoes)
                echo_cpu = statistics.median(x.cpu_ms for x in echoes)
                rate = statistics.median(x.rate for x in results)
                p99 = statistics.median(x.p99 for x in results)
                p50 = statistics.median(x.p50 for x in results)
                cpu_ms = statistics.median(x.cpu_ms for x in results)
                lines.append(f"| {driver} | {bot} | {mode} | {rate:.0f} | {p50:.0f} | "
                             f"{p99:.0f} | {rate / echo_rate:.2f} | {cpu_ms:.2f} | "
                             f"{echo_cpu / cpu_ms:.2f} |")
                print(lines[-1], flush=True)
    # the machine is shared: figures from a loaded one are not comparable with a quiet one's
    lines += ["", "load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: "
              "{:.2f} {:.2f} {:.2f}".format(*load_before, *os.getloadavg())]
    return lines


async def _reset(url: str) -> None:
    from sqlalchemy import text

    db = Database(url)
    await db.migrate()
    async with db.engine.begin() as conn:
        tables = (await conn.execute(text(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename <> 'alembic_version'"))).scalars().all()
        await conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                + " RESTART IDENTITY CASCADE"))
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--driver", choices=["aiogram", "ptb", "both"], default="both")
    parser.add_argument("--serve-echo", choices=["aiogram", "ptb"], help=argparse.SUPPRESS)
    parser.add_argument("--echo-mode", choices=["polling", "webhook"], default="polling",
                        help=argparse.SUPPRESS)
    parser.add_argument("--event-loop", choices=LOOP_CHOICES, default="auto",
                        help="the event loop of both bots (auto: uvloop when installed)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL URL to use instead of a temporary SQLite file "
                             "(its tables are emptied)")
    args, _ = parser.parse_known_args()
    if args.serve_echo:
        # the echo bot runs on the same event loop as the coach bot (COACHBOT_EVENT_LOOP)
        run_on_loop(_serve_echo(args.serve_echo, args.echo_mode),
                    os.environ.get("COACHBOT_EVENT_LOOP", "auto"))
        return
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    drivers = ["aiogram", "ptb"] if args.driver == "both" else [args.driver]
    lines = asyncio.run(_run(args.partners, args.messages, drivers, args.database_url,
                             args.rounds, args.event_loop))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
