"""Replays partner messages through the handlers against a one-read-one-write baseline.

10,000 messages from 1,000 simulated partners (a scripted first session each: /start,
language, name, background, time zone, self-assessment, a module, a reflection, /progress),
on SQLite and PostgreSQL. Each variant runs in its own process so peak RSS is its own.
Targets: full handler path >= 50% of the baseline's throughput; p99 < 25 ms on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import fresh_database, peak_rss_mb, percentile, postgres_available
from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock, Inbound
from bot.storage.db import Database
from bot.storage.repos import PartnerRepo
from content.loader import PackLibrary, discover_packs
from handlers.learning.buttons import MenuButton, RatingButton, StepButton
from handlers.onboarding.buttons import OnboardButton

PARTNERS = 1000
PER_PARTNER = 10


def _script(library: PackLibrary, pack_id: str) -> list[Inbound | str]:
    """The ten messages every simulated partner sends (payloads for their buttons)."""
    pack = library.packs[pack_id]
    statement = pack.assessment.statements[0].id
    module = pack.modules[pack.module_order[0]]
    return [
        "/start",
        OnboardButton("lang", "id").pack(),
        "Sari Benchmark",
        OnboardButton("bg", "worker").pack(),
        OnboardButton("tz", "wita").pack(),
        RatingButton("before", statement, "4").pack(),
        MenuButton("open", module.id).pack(),
        StepButton(module.id, module.steps[0].id, "next").pack(),
        "Saya ingin penghasilan tambahan untuk keluarga.",
        "/progress",
    ]


def _inbound(item: Inbound | str, user: str, n: int) -> Inbound:
    uid = f"{user}-{n}"
    if isinstance(item, str) and ":" in item and not item.startswith("/") and " " not in item:
        return Inbound.button("bench", user, item, update_id=uid)
    assert isinstance(item, str)
    return Inbound.from_text("bench", user, item, update_id=uid)


async def _replay(backend: str, variant: str, partners: int,
                  packs_dir: str | None) -> dict[str, float]:
    packs = discover_packs(Path(packs_dir)) if packs_dir else discover_packs()
    library = PackLibrary.load(packs)
    pack_id = "mitra-onboarding" if "mitra-onboarding" in library.packs else next(
        iter(library.packs))
    settings = Settings(_env_file=None, default_pack=pack_id)  # type: ignore[call-arg]
    script = _script(library, pack_id)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(backend, Path(tmp)) as db:
            bot = CoachBot(db, library, settings, clock=FixedClock())
            handle = bot.handle if variant == "full" else _baseline(db, bot)
            # rows exist for the baseline to read: created through the same first message
            start = time.perf_counter()
            for step, item in enumerate(script):
                for i in range(partners):
                    msg = _inbound(item, f"p{i}", step)
                    t0 = time.perf_counter()
                    await handle(msg)
                    latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - start
    return {"messages": len(latencies), "elapsed_s": elapsed,
            "msgs_per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "peak_rss_mb": peak_rss_mb()}


def _baseline(db: Database, bot: CoachBot):  # type: ignore[no-untyped-def]
    """One read and one write of the partner row per message, through the same storage."""
    clock = FixedClock()

    async def handle(msg: Inbound) -> list[object]:
        async with db.transaction() as session:
            repo = PartnerRepo(session)
            partner = await repo.get(msg.channel, msg.user_id)
            if partner is None:
                partner = await repo.create(channel=msg.channel, external_id=msg.user_id,
                                            chat_id=msg.chat_id, pack_id="bench",
                                            now=clock.now())
            clock.advance(seconds=1)
            partner.last_active_at = clock.now()
            await repo.save(partner)
        return []

    del bot
    return handle


def _run_child(backend: str, variant: str, partners: int,
               packs_dir: str | None) -> dict[str, float]:
    extra = ["--packs", packs_dir] if packs_dir else []
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_core", "--child", backend, variant,
         "--partners", str(partners), *extra], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2, metavar=("BACKEND", "VARIANT"))
    ap.add_argument("--partners", type=int, default=PARTNERS)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--packs", default=None, help="packs folder (default: the shipped packs)")
    args = ap.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__"
                         else [])
    if args.child:
        print(json.dumps(asyncio.run(_replay(args.child[0], args.child[1], args.partners,
                                             args.packs))))
        return
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not asyncio.run(postgres_available()):
        print("postgres: not reachable, skipped")
        backends.remove("postgres")
    print(f"{args.partners} partners x {PER_PARTNER} messages each")
    print(f"{'backend':9} {'variant':9} {'msgs/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'peak MB':>8}")
    for backend in backends:
        res = {v: _run_child(backend, v, args.partners, args.packs) for v in ("baseline", "full")}
        for v, r in res.items():
            print(f"{backend:9} {v:9} {r['msgs_per_s']:8.0f} {r['p50_ms']:7.2f} "
                  f"{r['p99_ms']:7.2f} {r['peak_rss_mb']:8.1f}")
        ratio = res["full"]["msgs_per_s"] / res["baseline"]["msgs_per_s"]
        verdict = "ok" if ratio >= 0.5 else "BELOW TARGET"
        line = f"{backend}: full/baseline throughput = {ratio:.2f} (target >= 0.50: {verdict})"
        if backend == "sqlite":
            p99 = res["full"]["p99_ms"]
            line += f"; full p99 = {p99:.2f} ms (target < 25: {'ok' if p99 < 25 else 'MISSED'})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
