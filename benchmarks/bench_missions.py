"""Missions benchmark: the nudge planner over 100,000 partners with missions and spaced
review, against the planner's targets (< 2 s a pass, < 200 MB).

    .venv/bin/python -m benchmarks.bench_missions [--partners 100000]
                                                  [--backends sqlite,postgres]

Seeded on the example pack with its missions (tests/missions/example_missions.yaml): last
activity over the past 30 days; 60 % finished the first module, 70 % of those the promotion
module that unlocks the missions (over the past 40 days, so deadlines lie behind, around and
ahead of now); of those, proof approved, waiting, or sent back with feedback for some; 30 % of
all partners have 1-3 missed quiz questions under review (due from 3 days ago to a week
ahead, a tenth mastered). Each pass runs in a child process so its peak RSS is the planner's
own: the first pass (the backlog), a pass after the dispatcher sent it, the same pass
again (nothing changed), and a pass after 1 % of the partners came back (these four with no
bound on the partners a pass judges). Then the backlog again (outbox and verdicts emptied),
judged in passes bounded by the default `planner_max_partners`, and once more in one
unbounded pass.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, text, update

from benchmarks.common import fresh_database, peak_rss_mb, postgres_available
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import NudgeQuiet, OutboxMessage, Partner
from content.loader import PackLibrary
from handlers.learning.models import ModuleProgress
from handlers.missions.models import MissionSubmission, ReviewItem
from handlers.registry import nudge_sources
from scheduler.planner import Planner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "fixtures" / "packs" / "example"
MISSIONS = ROOT / "tests" / "missions" / "example_missions.yaml"
CHUNK = 5000


def packs_dir(base: Path) -> Path:
    shutil.copytree(EXAMPLE, base / "example", dirs_exist_ok=True)
    shutil.copy(MISSIONS, base / "example" / "missions.yaml")
    return base


async def seed(db: Database, n: int, now: datetime) -> None:
    rnd = random.Random(19)
    for start in range(0, n, CHUNK):
        partners, progress, subs, items = [], [], [], []
        for i in range(start, min(n, start + CHUNK)):
            pid = i + 1
            last = now - timedelta(minutes=rnd.randrange(30 * 24 * 60))
            partners.append(dict(
                id=pid, channel="telegram", external_id=str(10_000_000 + i),
                chat_id=str(10_000_000 + i), name=f"P{i}", language=rnd.choice(("id", "en")),
                timezone=rnd.choice(("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")),
                role="partner", pack_id="example", state="menu", module_id=None,
                step_id=None, onboarded_at=last - timedelta(days=3), opted_out=False,
                blocked=False, created_at=last - timedelta(days=4), last_active_at=last))
            if rnd.random() < 0.6:
                progress.append(dict(partner_id=pid, module_id="basics", step_id="check1",
                                     started_at=last - timedelta(days=2),
                                     updated_at=last - timedelta(days=2),
                                     completed_at=last - timedelta(days=2)))
                if rnd.random() < 0.7:
                    done = now - timedelta(minutes=rnd.randrange(40 * 24 * 60))
                    progress.append(dict(partner_id=pid, module_id="promo", step_id="plan",
                                         started_at=done, updated_at=done, completed_at=done))
                    roll = rnd.random()
                    status = ("approved" if roll < 0.3 else "waiting" if roll < 0.4
                              else "changes" if roll < 0.45 else None)
                    if status:
                        subs.append(dict(partner_id=pid, mission_id="first-video",
                                         status=status, kind="link", text="https://v.example",
                                         target_met=False, created_at=done))
                    if rnd.random() < 0.1:
                        subs.append(dict(partner_id=pid, mission_id="sales",
                                         status="approved", kind="number", text="4", number=4,
                                         target_met=True, created_at=done))
            if rnd.random() < 0.3:
                for q in rnd.sample(("q1", "q2", "f1", "f2"), rnd.randint(1, 3)):
                    box = rnd.randint(0, 2)
                    due = now + timedelta(minutes=rnd.randrange(-3 * 1440, 7 * 1440))
                    # last changed when the question was missed or last answered
                    changed = min(due - timedelta(days=(1, 3, 7)[box]), now - timedelta(hours=1))
                    items.append(dict(
                        partner_id=pid, quiz_id="basics" if q.startswith("q") else "final",
                        question_id=q, box=box, due_at=due, mastered=rnd.random() < 0.1,
                        updated_at=changed))
        async with db.transaction() as s:
            if db.is_postgres:
                # the dashboard's triggers (shared counter rows updated for every row, slower
                # the longer a seeding transaction) took seeding from 4 to over 11 minutes;
                # the planner reads none of the dashboard's tables
                await s.execute(text("SET LOCAL session_replication_role = replica"))
            await s.execute(insert(Partner), partners)
            if progress:
                await s.execute(insert(ModuleProgress), progress)
            if subs:
                await s.execute(insert(MissionSubmission), subs)
            if items:
                await s.execute(insert(ReviewItem), items)
    if db.is_postgres:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


async def _child(url: str, now_iso: str, packs: str, partners: int) -> dict[str, object]:
    db = Database(url)
    now = datetime.fromisoformat(now_iso)
    # the four passes judge every candidate (no bound, no time budget), as before the bounds
    settings = Settings(_env_file=None, database_url=url, packs_dir=Path(packs),
                        default_pack="example", planner_max_partners=0, planner_pass_budget=0)
    library = PackLibrary.load([Path(packs) / "example"])
    async with db.engine.connect() as conn:  # connect once, so the scan times only the scan
        await conn.exec_driver_sql("select 1")
    t0 = time.perf_counter()
    async with db.engine.connect() as conn:
        result = await conn.stream(select(Partner.id, Partner.last_active_at)
                                   .execution_options(yield_per=5000))
        async for _ in result:
            pass
    scan_s = time.perf_counter() - t0
    planner = Planner(db, library, settings, FixedClock(now), sources=nudge_sources())
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    first = await planner.run_pass()
    first_s = time.perf_counter() - t0
    async with db.transaction() as s:  # the dispatcher sends what the first pass planned
        await s.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                        .values(status="sent", sent_at=now))
    planner.clock = FixedClock(now + timedelta(minutes=5))
    t0 = time.perf_counter()
    steady = await planner.run_pass()
    steady_s = time.perf_counter() - t0
    t0 = time.perf_counter()  # once more, nothing sent in between: only waiting rows judged
    again = await planner.run_pass()
    again_s = time.perf_counter() - t0
    # 1 % of the partners come back (a turn moves their last activity; a tenth of those
    # finish the promotion module), then a pass five minutes later
    back = now + timedelta(minutes=7)
    movers = list(range(1, partners + 1, 100))
    async with db.transaction() as s:
        await s.execute(update(Partner).where(Partner.id.in_(movers))
                        .values(last_active_at=back, state="menu"))
        await s.execute(update(ModuleProgress).where(
            ModuleProgress.partner_id.in_(movers[::10]), ModuleProgress.module_id == "promo")
            .values(completed_at=back, updated_at=back))
    planner.clock = FixedClock(now + timedelta(minutes=10))
    t0 = time.perf_counter()
    moved = await planner.run_pass()
    moved_s = time.perf_counter() - t0
    async with db.transaction() as s:
        keys = list((await s.execute(select(OutboxMessage.dedupe_key))).scalars())
    drain = await _drain(db, settings, library, now + timedelta(minutes=15))
    await db.dispose()
    by_kind: dict[str, int] = {}
    for k in keys:
        part = k.split(":")[2] if k.count(":") >= 2 else k
        by_kind[part] = by_kind.get(part, 0) + 1
    return {"scan_s": scan_s, "first_s": first_s, "steady_s": steady_s, "planned": first.planned,
            "read": first.partners, "steady_planned": steady.planned,
            "steady_read": steady.partners, "again_s": again_s, "again_read": again.partners,
            "again_planned": again.planned, "again_cancelled": again.cancelled,
            "moved_s": moved_s, "moved_read": moved.partners, "moved_planned": moved.planned,
            "moved_cancelled": moved.cancelled, "rss_mb": peak_rss_mb(),
            "rss_before_mb": rss_before, "by_kind": by_kind, **drain}


async def _forget(db: Database) -> None:
    """Empties what passes wrote (the outbox, the verdicts): the backlog is there again."""
    async with db.transaction() as s:
        await s.execute(delete(OutboxMessage))
        await s.execute(delete(NudgeQuiet))
    if db.is_postgres:
        async with db.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("VACUUM ANALYZE outbox, nudge_quiet")


async def _drain(db: Database, settings: Settings, library: PackLibrary,
                 at: datetime) -> dict[str, object]:
    """After the four passes, the backlog again (outbox and verdicts emptied; 1 % of the
    partners moved as the last pass left them), judged by a fresh planner with the default
    bound (`planner_max_partners`) and time budget (`planner_pass_budget`) in passes at one
    moment until a pass reaches the last candidate; then the same backlog once more in one
    unbounded pass, to compare."""
    await _forget(db)
    # the defaults: at most what the dispatcher sends between two passes, and the time budget
    budget = Settings.model_fields["planner_pass_budget"].default
    bounded = settings.model_copy(update={"planner_max_partners": None,
                                          "planner_pass_budget": budget})
    planner = Planner(db, library, bounded, FixedClock(at), sources=nudge_sources())
    times: list[float] = []
    planned = read = 0
    while True:
        t0 = time.perf_counter()
        st = await planner.run_pass()
        times.append(time.perf_counter() - t0)
        planned, read = planned + st.planned, read + st.partners
        if not st.more or len(times) >= 50:
            break
    await _forget(db)
    whole = Planner(db, library, settings, FixedClock(at), sources=nudge_sources())
    t0 = time.perf_counter()
    one = await whole.run_pass()
    return {"bound": planner.max_partners, "budget": planner.budget, "bounded_s": times,
            "bounded_planned": planned,
            "bounded_read": read, "whole_s": time.perf_counter() - t0,
            "whole_planned": one.planned, "whole_read": one.partners}


async def bench(backend: str, partners: int) -> dict[str, object]:
    now = datetime.now(UTC).replace(microsecond=0)
    load_start = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        packs = packs_dir(Path(tmp) / "packs")
        async with fresh_database(backend, Path(tmp)) as db:
            t0 = time.perf_counter()
            await seed(db, partners, now)
            seeded = time.perf_counter() - t0
            url = db.engine.url.render_as_string(hide_password=False)
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.bench_missions", "--child", url,
                now.isoformat(), str(packs), str(partners), cwd=ROOT,
                stdout=asyncio.subprocess.PIPE)
            stdout, _ = await child.communicate()
            assert child.returncode == 0, "the planning process failed"
            return {"backend": backend, "partners": partners, "seed_s": round(seeded, 1),
                    "load_start": load_start,
                    "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
                    **json.loads(stdout.decode().strip().splitlines()[-1])}


def report(r: dict[str, object]) -> None:
    print(f"[{r['backend']}] planner over {r['partners']:,} partners with missions and "
          f"reviews (seeded in {r['seed_s']} s; load average {r['load_start']} at the start, "
          f"{r['load']} at the end):")
    print(f"  baseline scan of every partner: {r['scan_s']:.2f} s")
    print(f"  first pass : {r['first_s']:.2f} s, read {r['read']:,}, planned {r['planned']:,} "
          f"{r['by_kind']}")
    print(f"  steady pass: {r['steady_s']:.2f} s, read {r['steady_read']:,}, planned "
          f"{r['steady_planned']:,}")
    print(f"  same pass again: {r['again_s']:.2f} s, read {r['again_read']:,}, planned "
          f"{r['again_planned']:,}")
    print(f"  after 1 % came back: {r['moved_s']:.2f} s, read {r['moved_read']:,}, planned "
          f"{r['moved_planned']:,}, cancelled {r['moved_cancelled']:,}")
    scan = float(r["scan_s"])  # type: ignore[arg-type]
    print("  ratios to the scan (first / after sending / again / after 1 %): " + " / ".join(
        f"{float(r[k]) / scan:.1f}x"  # type: ignore[arg-type]
        for k in ("first_s", "steady_s", "again_s", "moved_s")))
    print(f"  peak RSS of the planning process: {r['rss_mb']:.0f} MB "
          f"(before the passes: {r['rss_before_mb']:.0f} MB)")
    times = [float(t) for t in r["bounded_s"]]  # type: ignore[attr-defined]
    print(f"  the backlog again, at most {r['bound']:,} partners and {r['budget']} s a pass: "
          f"{len(times)} passes of " + " / ".join(f"{t:.2f}" for t in times)
          + f" s (longest {max(times) / scan:.2f}x the scan; total {sum(times):.2f} s), read "
          f"{r['bounded_read']:,}, planned "
          f"{r['bounded_planned']:,}; in one unbounded pass: {r['whole_s']:.2f} s, read "
          f"{r['whole_read']:,}, planned {r['whole_planned']:,}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--partners", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--child", nargs=4, metavar=("URL", "NOW", "PACKS", "PARTNERS"))
    args, _ = ap.parse_known_args()
    if args.child:
        url, now_iso, packs, n = args.child
        print(json.dumps(asyncio.run(_child(url, now_iso, packs, int(n)))))
        return
    for backend in args.backends.split(","):
        if backend == "postgres" and not asyncio.run(postgres_available()):
            print("[postgres] skipped: no server")
            continue
        report(asyncio.run(bench(backend, args.partners)))


if __name__ == "__main__":
    main()
