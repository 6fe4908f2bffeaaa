"""The bot as a real OS process for the process-level reliability tests and benchmark.

`BotProcess` runs `coachbot run` (or a test entry point) against a fake Bot API served
from the test's own event loop; `kill()` is SIGKILL, nothing is cleaned up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from benchmarks.cluster import _stop_with_parent
from bot.storage.db import Database
from bot.storage.models import (
    OutboxMessage,
    OutboxStatus,
    Partner,
    ProcessedUpdate,
    ReplyInFlight,
)
from scheduler.replies import REPLY
from tests.conftest import EXAMPLE_PACKS
from tests.fakes import FakeBotAPI, FakeUser

ROOT = Path(__file__).resolve().parents[2]
COACHBOT = str(Path(sys.executable).parent / "coachbot")
START = 240.0  # seconds a start may take on a loaded 2-core machine (a hang guard)


def bot_env(fake: FakeBotAPI, db_url: str, **extra: str) -> dict[str, str]:
    """`coachbot run` on the fake in polling mode, the example pack, nothing else beside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    env.update({
        "COACHBOT_DATABASE_URL": db_url, "COACHBOT_TELEGRAM_TOKEN": fake.token,
        "COACHBOT_TELEGRAM_API_BASE": fake.base_url, "COACHBOT_TELEGRAM_POLL_TIMEOUT": "1",
        "COACHBOT_PACKS_DIR": str(EXAMPLE_PACKS), "COACHBOT_DEFAULT_PACK": "example",
        "COACHBOT_LOG_LEVEL": "WARNING", "COACHBOT_DASHBOARD_ENABLED": "false",
        "COACHBOT_QUIET_HOURS": "off", "COACHBOT_PLANNER_INTERVAL": "3600",
        # a reply left 'sending' by a killed process is sent again soon after the restart;
        # not much sooner: a restarted process's replies can wait seconds in their chat's
        # sending lane, and one older than the lease would be sent by the dispatcher too
        "COACHBOT_OUTBOX_LEASE": "10", "COACHBOT_DISPATCH_INTERVAL": "0.5",
        "PYTHONPATH": str(ROOT), **extra})
    return env


class BotProcess:
    """One `coachbot run` at a time; `start()` again after `kill()` is a restart."""

    def __init__(self, fake: FakeBotAPI, env: dict[str, str], workdir: Path,
                 argv: list[str] | None = None):
        self.fake = fake
        self.env = env
        self.workdir = workdir
        self.argv = argv or [COACHBOT, "run"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log = workdir / "bot.log"

    async def start(self, env: dict[str, str] | None = None) -> None:
        """Starts the bot and waits until it polls (or set its webhook)."""
        polls_before = len(self._ready_calls())
        self.starts += 1
        self.proc = self._spawn(env or self.env)
        proc = self.proc
        await self.fake.wait_until(
            lambda: len(self._ready_calls()) > polls_before or proc.poll() is not None,
            START, "the bot to start")
        if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
            raise AssertionError(f"the bot exited ({proc.returncode}): {self.tail()}")

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            log.flush()
            # its own session: a kill reaches no one else
            return subprocess.Popen(self.argv, cwd=self.workdir, env=env, stdout=log,
                                    stderr=log, start_new_session=True,
                                    preexec_fn=_stop_with_parent)

    def _ready_calls(self) -> list[object]:
        return [c for c in self.fake.calls if c.method.lower() in ("getupdates", "setwebhook")]

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    async def kill(self) -> None:
        """kill -9: the process is gone at once, mid-whatever."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await asyncio.to_thread(self.proc.wait)

    async def died(self, within: float) -> int:
        """Waits (bounded) for the process to end by itself; its return code."""
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, within)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.to_thread(self.proc.wait, 30)
        except subprocess.TimeoutExpired:
            await self.kill()


async def replies_in_flight(db: Database) -> set[str]:
    """The keys of replies committed but not yet settled: rows of replies_in_flight, and
    replies moved to the outbox (after their process died) and not yet sent."""
    async with db.transaction() as s:
        own = set((await s.execute(select(ReplyInFlight.key))).scalars())
        moved = set((await s.execute(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == REPLY,
            OutboxMessage.status == OutboxStatus.SENDING.value))).scalars())
    return own | moved



async def no_replies_in_flight(db: Database) -> bool:
    return not await replies_in_flight(db)


async def no_replies_waiting(db: Database) -> bool:
    """No reply in flight nor waiting for its turn (a recovered row waits for its chat)."""
    async with db.transaction() as s:
        if (await s.execute(select(ReplyInFlight.key).limit(1))).first() is not None:
            return False
        return (await s.execute(select(OutboxMessage.id).where(
            OutboxMessage.kind == REPLY,
            OutboxMessage.status.in_([OutboxStatus.SENDING.value,
                                      OutboxStatus.PENDING.value])).limit(1))).first() is None


async def wait_for(check: Callable[[], Awaitable[bool]], within: float) -> None:
    """Polls `check` until it holds; fails after `within` seconds (a hang guard)."""
    end = time.monotonic() + within
    while not await check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {within}s")
        await asyncio.sleep(0.1)


# the answer to an unknown command names it: "I don't know the command /k3x17 🙈"
_NAMED = re.compile(r"/(k\d+x\d+)\b")


@dataclass
class KillRun:
    """What partners saw while the bot was killed and restarted."""

    messages: int = 0
    kills: int = 0
    answered: int = 0  # messages whose answer arrived at least once
    lost: list[str] = field(default_factory=list)
    duplicated: Counter[str] = field(default_factory=Counter)  # message -> extra answers
    in_flight: set[str] = field(default_factory=set)  # messages with a reply 'sending' at a kill
    in_flight_replies: int = 0  # reply rows 'sending' at the kills, summed
    seconds: float = 0.0
    restarts_seconds: list[float] = field(default_factory=list)
    users: list[FakeUser] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.messages} messages, {self.kills} kills: {len(self.lost)} lost, "
                f"{sum(self.duplicated.values())} duplicated answers "
                f"({len(self.duplicated)} messages), {self.in_flight_replies} replies in "
                f"flight at the kills, {self.seconds:.0f} s")


async def random_kills(fake: FakeBotAPI, db: Database, bot: BotProcess, *, partners: int,
                       messages: int, kills: int, seed: int, gap: float = 1.0,
                       within: float = 600.0) -> KillRun:
    """Partners send `messages` unknown commands each (one every `gap` s on average, without
    waiting for answers) while the bot is SIGKILLed at `kills` random moments and restarted;
    returns once every message is answered (or `within` seconds pass)."""
    rng = random.Random(seed)
    run = KillRun(messages=partners * messages)
    users = run.users = [fake.user(f"Mitra{i}", language_code="en") for i in range(partners)]
    asked: dict[str, FakeUser] = {}  # the command's name -> who sent it
    key_of: dict[str, str] = {}  # "<update id>" -> the command's name
    bot_id = fake.bot_user["id"]
    t0 = time.monotonic()
    await bot.start()

    async def partner(i: int, user: FakeUser) -> None:
        await user.send("/start")
        for n in range(messages):
            await asyncio.sleep(rng.uniform(0, 2 * gap))
            name = f"k{i}x{n}"
            asked[name] = user
            key_of[str(await user.send(f"/{name}"))] = name

    async def killer() -> None:
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(0.3, 3.0))
            await bot.kill()
            run.kills += 1
            keys = await replies_in_flight(db)
            run.in_flight_replies += len(keys)
            for key in keys:  # r:telegram:<bot id>:<update id>:<index>
                _, _, owner, update_id, index = key.split(":")
                # the first reply names the command: the one counted as an answer
                if owner == str(bot_id) and index == "0" and update_id in key_of:
                    run.in_flight.add(key_of[update_id])
            started = time.monotonic()
            await bot.start()
            run.restarts_seconds.append(time.monotonic() - started)

    def answers() -> Counter[str]:
        seen: Counter[str] = Counter()
        for user in users:
            for m in fake.chat_messages(user.id):
                found = _NAMED.search(m.get("text", ""))
                if found:
                    seen[found.group(1)] += 1
        return seen

    sending = asyncio.ensure_future(asyncio.gather(*(partner(i, u)
                                                     for i, u in enumerate(users))))
    await killer()
    await asyncio.wait_for(sending, within)
    with contextlib.suppress(AssertionError):  # what is missing is reported as lost
        await fake.wait_until(lambda: len(answers()) >= run.messages, within,
                              "every message answered")
    # a reply the last kill left 'sending' goes out (again) after its lease
    with contextlib.suppress(AssertionError):  # left 'sending' is reported by check_state
        await wait_for(lambda: no_replies_waiting(db), within)
    seen = answers()
    run.seconds = time.monotonic() - t0
    run.answered = len(seen)
    run.lost = sorted(set(asked) - set(seen))
    run.duplicated = Counter({k: n - 1 for k, n in seen.items() if n > 1})
    return run


async def check_state(db: Database, fake: FakeBotAPI, users: list[FakeUser],
                      library_modules: set[str]) -> None:
    """Nothing points nowhere: every partner known, in a known state and module, every
    message recorded as processed, no reply left unsent."""
    from handlers.learning.states import LearningState
    from handlers.onboarding.states import OnboardingState

    known = {str(s) for s in OnboardingState} | {str(s) for s in LearningState}
    async with db.transaction() as s:
        rows = (await s.execute(select(Partner.external_id, Partner.state, Partner.module_id,
                                       Partner.pack_id))).all()
        done = set((await s.execute(select(ProcessedUpdate.update_id))).scalars())
        unsent = (await s.execute(select(
            OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.attempts,
            OutboxMessage.due_at, OutboxMessage.last_error).where(
            OutboxMessage.status.in_([OutboxStatus.SENDING.value,
                                      OutboxStatus.PENDING.value])))).all()
    by_id = {r.external_id: r for r in rows}
    assert {str(u.id) for u in users} <= set(by_id), "every partner is known"
    for r in rows:
        assert r.state in known, r
        assert r.module_id is None or r.module_id in library_modules, r
        assert r.pack_id in (None, "example"), r
    bot_id = fake.bot_user["id"]
    sent_ids = {f"{bot_id}:{uid}" for uid, u in fake.updates.items() if "message" in u}
    assert sent_ids <= done, f"{len(sent_ids - done)} messages never processed"
    assert not unsent, f"replies still waiting: {unsent[:5]}"


@dataclass
class FloodRun:
    latencies: list[float]  # the other partners' /help: sent -> answer at the fake
    flooder_said: list[str]


async def flood(fake: FakeBotAPI, *, messages: int = 200, others: int = 5,
                rounds: int = 4, within: float = 120.0) -> FloodRun:
    """One partner sends `messages` in about 4 s; the others each send /help `rounds` times
    during it (the bot already serving)."""
    budi = fake.user("Budi", language_code="en")
    users = [fake.user(f"Teman{i}", language_code="en") for i in range(others)]
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def flooding() -> None:
        for i in range(messages):
            await budi.send(f"halo {i}")
            await asyncio.sleep(4.0 / messages)

    async def chat(user: FakeUser) -> None:
        for _ in range(rounds):
            before = len(fake.chat_messages(user.id))
            sent = loop.time()
            await user.send("/help")
            await fake.wait_until(
                lambda n=before: len(fake.chat_messages(user.id)) > n,  # type: ignore[misc]
                within, "a reply to /help")
            latencies.append(loop.time() - sent)
            await asyncio.sleep(0.5)

    task = asyncio.create_task(flooding())
    await asyncio.sleep(0.3)  # the flood is under way
    await asyncio.gather(*(chat(u) for u in users))
    await task

    def said() -> list[str]:
        return [m.get("text", "") for m in fake.chat_messages(budi.id)]

    if messages > 8:
        await fake.wait_until(lambda: any("slow down" in t for t in said()), within,
                              "Budi asked to slow down")
    return FloodRun(latencies, said())
