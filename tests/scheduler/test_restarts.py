"""Real processes: kill -9 while nudges are due loses none; two workers never share a row."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from tests.conftest import EXAMPLE_PACKS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 90.0  # seconds a scenario may take before the test gives up


def worker(mode: str, record: Path, db_url: str, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "COACHBOT_DATABASE_URL": db_url, "COACHBOT_PACKS_DIR":
            str(EXAMPLE_PACKS), "COACHBOT_DEFAULT_PACK": "example", "COACHBOT_QUIET_HOURS": "off",
            "COACHBOT_PLANNER_INTERVAL": "1", "COACHBOT_DISPATCH_INTERVAL": "0.05",
            "COACHBOT_LOG_LEVEL": "WARNING", **env}
    return subprocess.Popen([sys.executable, "-m", "tests.scheduler.worker_main", mode,
                             str(record)], cwd=ROOT, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def lines(record: Path) -> list[str]:
    return record.read_text().splitlines() if record.exists() else []


async def wait_for(what: Callable[[], Awaitable[bool]],
                   procs: list[subprocess.Popen[str]]) -> None:
    """Polls a condition on the database or the record while real workers run (bounded)."""
    end = time.monotonic() + DEADLINE
    while not await what():
        for p in procs:
            if p.poll() is not None and p.returncode not in (0, -9):
                raise AssertionError(f"worker died: {p.stderr.read() if p.stderr else ''}")
        if time.monotonic() > end:
            raise AssertionError("scenario did not finish in time")
        await asyncio.sleep(0.1)


async def status_counts(db: Database) -> Counter[str]:
    async with db.transaction() as s:
        rows = await s.execute(select(OutboxMessage.status, func.count())
                               .group_by(OutboxMessage.status))
        return Counter({k: int(v) for k, v in rows.all()})


def db_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


async def test_kill_9_while_nudges_are_due_loses_none(database: Database,
                                                      tmp_path: Path) -> None:
    n = 120
    now = datetime.now(UTC)
    async with database.transaction() as s:
        await s.execute(insert(Partner), [dict(
            channel="console", external_id=f"p{i}", chat_id=f"p{i}", name=f"P{i}",
            language="en", timezone="Asia/Jakarta", role="partner", pack_id="example",
            state="module", module_id="basics", step_id="why", onboarded_at=now,
            opted_out=False, blocked=False, created_at=now - timedelta(days=3),
            last_active_at=now - timedelta(days=2)) for i in range(n)])
    record = tmp_path / "sent.txt"
    first = worker("service", record, db_url(database), COACHBOT_SEND_RATE="30",
                   COACHBOT_OUTBOX_LEASE="3")
    try:
        async def some_sent() -> bool:
            return len(lines(record)) >= 15
        await wait_for(some_sent, [first])
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        first.wait()
    async with database.transaction() as s:
        in_flight = {chat for (chat,) in (await s.execute(
            select(OutboxMessage.chat_id).where(OutboxMessage.status == "sending"))).all()}
    before = await status_counts(database)
    assert before["sent"] + before["sending"] + before["pending"] == n
    assert before["sent"] < n, "the crash should come while nudges are still due"

    second = worker("service", record, db_url(database), COACHBOT_SEND_RATE="30",
                    COACHBOT_OUTBOX_LEASE="3")
    try:
        async def all_sent() -> bool:
            return (await status_counts(database))["sent"] == n
        await wait_for(all_sent, [second])
    finally:
        second.kill()
        second.wait()
    per_chat = Counter(line.split("\t")[0] for line in lines(record))
    assert set(per_chat) == {f"p{i}" for i in range(n)}, "every due nudge is sent"
    duplicates = {chat for chat, times in per_chat.items() if times > 1}
    assert duplicates <= in_flight, "only rows in flight at the crash may be sent twice"
    assert all(line.split("\t")[1].startswith("Shall we continue Program basics, P")
               for line in lines(record))


@pytest.mark.postgres
async def test_two_dispatcher_processes_send_2000_rows_exactly_once(
        database: Database, tmp_path: Path) -> None:
    if not database.is_postgres:
        pytest.skip("SKIP LOCKED across processes is the PostgreSQL deployment")
    n = 2000
    now = datetime.now(UTC)
    async with database.transaction() as s:
        await s.execute(insert(OutboxMessage), [dict(
            channel="console", chat_id=f"c{i}", kind="reminder", payload={"text": f"row {i}"},
            due_at=now - timedelta(seconds=1), status="pending", attempts=0,
            dedupe_key=f"bench:{i}", created_at=now) for i in range(n)])
    records = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [worker("drain", r, db_url(database), COACHBOT_SEND_RATE="600") for r in records]
    try:
        for p in procs:
            p.wait(timeout=DEADLINE)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], [p.stderr.read() for p in procs if p.stderr]
    sent = [line for r in records for line in lines(r)]
    assert len(sent) == n and len(set(sent)) == n, "every row sent exactly once"
    assert all(lines(r) for r in records), "both workers took part"
    assert (await status_counts(database)) == Counter({"sent": n})
