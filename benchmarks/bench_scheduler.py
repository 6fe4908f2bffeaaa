"""Scheduler benchmark: the nudge planner over 100,000 partners and the dispatcher's throughput.

    .venv/bin/python -m benchmarks.bench_scheduler [--partners 100000] [--rows 20000]
                                                   [--backends sqlite,postgres]

Planner: 100k partners with a realistic spread (last activity over the past 30 days; some
onboarding, some mid-module, some just finished a module, some failed a quiz). A planning
pass runs in a child process, so its peak RSS is the planner's own: the first pass (which
enqueues every nudge due) and a steady pass (nothing new), against a baseline measured in the
same run: one streamed scan of every partner's id and last activity. The steady pass runs
after the first pass's nudges were marked sent, as the dispatcher would have done.

Dispatcher: due rows to distinct chats through a fake channel with no rate limit (the limit in
production is the platform's), against a baseline of the bare SQL: claim a batch and mark it
sent, with no sending and no bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update

from benchmarks.common import fresh_database, peak_rss_mb, postgres_available
from bot.config import Settings
from bot.core import FixedClock, Reply, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress, QuizAttempt
from handlers.registry import nudge_sources
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "tests" / "fixtures" / "packs"
CHUNK = 5000


def _settings(url: str) -> Settings:
    # a pass judges the whole backlog (no bound, no time budget): the work this benchmark times
    return Settings(_env_file=None, database_url=url, packs_dir=PACKS,  # type: ignore[call-arg]
                    default_pack="example", planner_max_partners=0, planner_pass_budget=0)


async def seed_partners(db: Database, n: int, now: datetime) -> None:
    rnd = random.Random(6)
    for start in range(0, n, CHUNK):
        partners, progress, attempts = [], [], []
        for i in range(start, min(n, start + CHUNK)):
            last = now - timedelta(minutes=rnd.randrange(30 * 24 * 60))
            kind = rnd.random()
            row = dict(id=i + 1, channel="telegram", external_id=str(10_000_000 + i),
                       chat_id=str(10_000_000 + i), name=f"P{i}", language=rnd.choice("ie"),
                       timezone=rnd.choice(("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")),
                       role="partner", pack_id="example", state="menu", module_id=None,
                       step_id=None, onboarded_at=last - timedelta(days=1), opted_out=False,
                       blocked=False, created_at=last - timedelta(days=2), last_active_at=last)
            row["language"] = "id" if row["language"] == "i" else "en"
            if kind < 0.15:
                row.update(state="onboard_name", onboarded_at=None)
            elif kind < 0.5:
                row.update(state="module", module_id="basics", step_id="why")
                progress.append(dict(partner_id=i + 1, module_id="basics", step_id="why",
                                     started_at=last, updated_at=last, completed_at=None))
            else:
                progress.append(dict(partner_id=i + 1, module_id="basics", step_id="check1",
                                     started_at=last - timedelta(hours=1), updated_at=last,
                                     completed_at=last))
                if kind > 0.9:
                    attempts.append(dict(partner_id=i + 1, quiz_id="basics",
                                         started_at=last - timedelta(minutes=5),
                                         finished_at=last, score=0, total=2, passed=False))
            partners.append(row)
        async with db.transaction() as s:
            await s.execute(insert(Partner), partners)
            if progress:
                await s.execute(insert(ModuleProgress), progress)
            if attempts:
                await s.execute(insert(QuizAttempt), attempts)
    if db.is_postgres:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


async def _child_plan(url: str, now_iso: str) -> dict[str, float]:
    """Runs in its own process: a baseline scan, then two planning passes."""
    db = Database(url)
    now = datetime.fromisoformat(now_iso)
    settings = _settings(url)
    library = PackLibrary.load([PACKS / "example"])
    async with db.engine.connect() as conn:  # connect once, so the scan times only the scan
        await conn.exec_driver_sql("select 1")
    t0 = time.perf_counter()
    async with db.engine.connect() as conn:
        seen = 0
        result = await conn.stream(select(Partner.id, Partner.last_active_at)
                                   .execution_options(yield_per=5000))
        async for _ in result:
            seen += 1
    scan = time.perf_counter() - t0
    rss_before = peak_rss_mb()
    planner = Planner(db, library, settings, FixedClock(now), sources=nudge_sources())
    t0 = time.perf_counter()
    first = await planner.run_pass()
    first_s = time.perf_counter() - t0
    async with db.transaction() as s:  # the dispatcher sends what the first pass planned
        await s.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                        .values(status="sent", sent_at=now))
    t0 = time.perf_counter()
    steady = await planner.run_pass()
    steady_s = time.perf_counter() - t0
    await db.dispose()
    return {"scan_s": scan, "first_s": first_s, "steady_s": steady_s,
            "planned": first.planned, "steady_planned": steady.planned,
            "partners": first.partners, "rss_mb": peak_rss_mb(), "rss_before_mb": rss_before,
            "scanned": seen}


class NullPlatform:
    name = "telegram"

    def __init__(self) -> None:
        self.n = 0

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.n += 1
        return SendResult.ok(str(self.n))


async def seed_outbox(db: Database, n: int, now: datetime, tag: str) -> None:
    for start in range(0, n, CHUNK):
        async with db.transaction() as s:
            await s.execute(insert(OutboxMessage), [dict(
                channel="telegram", chat_id=str(20_000_000 + i), kind="reminder",
                payload={"text": f"Webinar tonight at 19:00 WIB, see you there! #{i}"},
                due_at=now - timedelta(seconds=1), status="pending", attempts=0,
                dedupe_key=f"{tag}:{i}", created_at=now)
                for i in range(start, min(n, start + CHUNK))])


async def bare_sql(db: Database, now: datetime, batch: int) -> int:
    """Baseline: claim a batch and mark it sent, nothing else."""
    done = 0
    while True:
        async with db.transaction() as s:
            due = (select(OutboxMessage.id)
                   .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
                   .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(batch))
            if db.is_postgres:
                due = due.with_for_update(skip_locked=True)
            ids = list((await s.execute(due)).scalars())
            if not ids:
                return done
            await s.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                            .values(status="sent", sent_at=now)
                            .execution_options(synchronize_session=False))
            done += len(ids)


async def bench_backend(backend: str, partners: int, rows: int) -> dict[str, object]:
    out: dict[str, object] = {"backend": backend}
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(backend, Path(tmp)) as db:
            t0 = time.perf_counter()
            await seed_partners(db, partners, now)
            out["seed_s"] = round(time.perf_counter() - t0, 1)
            url = db.engine.url.render_as_string(hide_password=False)
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.bench_scheduler", "--child-plan", url,
                now.isoformat(), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
            stdout, _ = await child.communicate()
            assert child.returncode == 0, "the planning process failed"
            out["planner"] = json.loads(stdout.decode().strip().splitlines()[-1])
        async with fresh_database(backend, Path(tmp)) as db:
            await seed_outbox(db, rows, now, "base")
            t0 = time.perf_counter()
            done = await bare_sql(db, now, 500)
            base_rate = done / (time.perf_counter() - t0)
        async with fresh_database(backend, Path(tmp)) as db:
            await seed_outbox(db, rows, now, "disp")
            platform = NullPlatform()
            d = Dispatcher(db, {"telegram": platform}, FixedClock(now), rate=None,
                           chat_interval=0, batch_size=500)
            t0 = time.perf_counter()
            stats = await d.run_until_idle()
            rate = stats.sent / (time.perf_counter() - t0)
            assert stats.sent == rows == platform.n, (stats, platform.n)
        out["dispatcher"] = {"rows": rows, "rows_per_s": round(rate),
                             "baseline_rows_per_s": round(base_rate),
                             "ratio_to_baseline": round(rate / base_rate, 2)}
    return out


def report(r: dict[str, object]) -> None:
    p = r["planner"]
    d = r["dispatcher"]
    assert isinstance(p, dict) and isinstance(d, dict)
    print(f"[{r['backend']}] planner over {p['scanned']:,} partners "
          f"(seeded in {r['seed_s']} s; {p['partners']:,} read by the first pass after the SQL "
          f"pre-filter):")
    print(f"  baseline scan of every partner: {p['scan_s']:.2f} s")
    print(f"  first pass : {p['first_s']:.2f} s ({p['first_s'] / p['scan_s']:.1f}x scan), "
          f"{p['planned']:,} nudges enqueued")
    print(f"  steady pass: {p['steady_s']:.2f} s ({p['steady_s'] / p['scan_s']:.1f}x scan), "
          f"{p['steady_planned']:,} enqueued")
    print(f"  peak RSS of the planning process: {p['rss_mb']:.0f} MB "
          f"(before the passes: {p['rss_before_mb']:.0f} MB)")
    print(f"  dispatcher: {d['rows_per_s']:,} rows/s over {d['rows']:,} rows "
          f"(bare claim+mark SQL: {d['baseline_rows_per_s']:,} rows/s; "
          f"ratio {d['ratio_to_baseline']})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--partners", type=int, default=100_000)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--child-plan", nargs=2, metavar=("URL", "NOW"))
    args, _ = ap.parse_known_args()
    if args.child_plan:
        print(json.dumps(asyncio.run(_child_plan(*args.child_plan))))
        return
    for backend in args.backends.split(","):
        if backend == "postgres" and not asyncio.run(postgres_available()):
            print("[postgres] skipped: no server")
            continue
        report(asyncio.run(bench_backend(backend, args.partners, args.rows)))


if __name__ == "__main__":
    main()
