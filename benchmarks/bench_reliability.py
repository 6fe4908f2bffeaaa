"""Issue 16's process-level figures: kill -9 at random moments, and a flood, against
`coachbot run` as its own OS process (polling) and the fake Bot API.

- kills: partners send unknown commands (each answer names its command) without waiting for
  answers while the bot is SIGKILLed at random moments and restarted. Reported: lost
  messages, duplicated answers, the replies in flight at the kills (the most that may come
  twice). Baseline, in the same run: the same messages with no kill (wall time ratio).
- flood: one partner sends 200 messages in 4 s, five others send /help four times each;
  the fake has Telegram's limits (30/s, 1/s per chat). Reported: the others' reply latency,
  and as baseline the same five partners' latency with no flood, in the same run.

    .venv/bin/python -m benchmarks.bench_reliability [--backend sqlite|postgres|both]
        [--partners 30] [--messages 100] [--kills 10] [--skip-flood] [--skip-kills]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import fresh_database, postgres_available
from tests.fakes import FakeBotAPI
from tests.reliability.processes import BotProcess, bot_env, check_state, flood, random_kills


def _url(db: object) -> str:
    return db.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]


async def _kills(backend: str, partners: int, messages: int, kills: int, seed: int,
                 workdir: Path) -> list[str]:
    out = []
    runs = {}
    for name, n_kills in (("no kill (baseline)", 0), (f"{kills} random kills", kills)):
        async with fresh_database(backend, workdir) as db, \
                FakeBotAPI(global_rate=None, chat_rate=None) as fake:
            run_dir = workdir / f"{backend}-{n_kills}"
            run_dir.mkdir()
            bot = BotProcess(fake, bot_env(fake, _url(db), COACHBOT_FLOOD_MESSAGES="0"),
                             run_dir)
            try:
                run = await random_kills(fake, db, bot, partners=partners, messages=messages,
                                         kills=n_kills, seed=seed, gap=1.5, within=900)
            finally:
                await bot.stop()
            state = "ok"
            try:
                await check_state(db, fake, run.users, {"basics", "promo"})
            except AssertionError as exc:
                state = f"FAILED: {exc}"
            runs[name] = run
            restarts = (f"{statistics.median(run.restarts_seconds):.1f} s"
                        if run.restarts_seconds else "-")
            dup_ok = set(run.duplicated) <= run.in_flight
            out.append(f"| {backend} | {name} | {run.messages} | {run.kills} | "
                       f"{len(run.lost)} | {sum(run.duplicated.values())} | "
                       f"{run.in_flight_replies} | {'yes' if dup_ok else 'NO'} | {state} | "
                       f"{run.seconds:.0f} s | {restarts} |")
            print(out[-1], flush=True)
    base, killed = runs["no kill (baseline)"], runs[f"{kills} random kills"]
    out.append(f"| {backend} | wall time, kills vs baseline | | | | | | | | "
               f"{killed.seconds / base.seconds:.2f}x | |")
    return out


async def _flood(backend: str, workdir: Path) -> list[str]:
    async with fresh_database(backend, workdir) as db, \
            FakeBotAPI(global_rate=30.0, chat_rate=1.0) as fake:
        run_dir = workdir / f"{backend}-flood"
        run_dir.mkdir()
        bot = BotProcess(fake, bot_env(fake, _url(db)), run_dir)
        try:
            await bot.start()
            calm = await flood(fake, messages=0)  # the baseline: the same chats, no flood
            stormy = await flood(fake, messages=200)
        finally:
            await bot.stop()
    lines = []
    for name, run in (("no flood (baseline)", calm), ("200-message flood", stormy)):
        lat = run.latencies
        p90 = statistics.quantiles(lat, n=10)[-1]
        lines.append(f"| {backend} | {name} | {len(lat)} | {statistics.median(lat):.2f} s | "
                     f"{p90:.2f} s | {max(lat):.2f} s | {len(run.flooder_said)} |")
        print(lines[-1], flush=True)
    return lines


async def _run(args: argparse.Namespace) -> list[str]:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if "postgres" in backends and not await postgres_available():
        raise SystemExit("PostgreSQL is not reachable (COACHBOT_BENCH_DATABASE_URL)")
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.skip_kills:
            lines += ["kill -9 at random moments (`coachbot run`, polling; "
                      f"{args.partners} partners x {args.messages} unknown commands, "
                      "one every 1.5 s on average each, not waiting for answers)", "",
                      "| backend | run | messages | kills | lost | duplicated answers | "
                      "replies in flight at the kills | duplicates only of those | state | "
                      "wall | median restart |",
                      "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|"]
            for backend in backends:
                lines += await _kills(backend, args.partners, args.messages, args.kills,
                                      args.seed, workdir)
            lines.append("")
        if not args.skip_flood:
            lines += ["a flood in polling mode (fake with 30/s and 1/s per chat): the other "
                      "five partners' /help, sent -> answered", "",
                      "| backend | run | replies | p50 | p90 | max | flooder's replies |",
                      "|---|---|---:|---:|---:|---:|---:|"]
            for backend in backends:
                lines += await _flood(backend, workdir)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--partners", type=int, default=30)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--skip-flood", action="store_true")
    parser.add_argument("--skip-kills", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print("\n".join(asyncio.run(_run(args))))


if __name__ == "__main__":
    main()
