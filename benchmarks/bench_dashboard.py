"""Dashboard benchmark: every page with 100,000 partners on PostgreSQL, against the raw driver.

    .venv/bin/python -m benchmarks.bench_dashboard [--partners 100000] [--requests 40]
                                                   [--live-requests 10]

Seeds 100,000 partners in 20 cohorts with a realistic spread (module progress, quiz attempts
and answers, self-assessments before and after, tickets, broadcasts with their outbox rows,
a webinar with RSVPs, unanswered FAQ questions). Each page is requested through the whole
dashboard in-process (session check, queries, template, an HTTP client over ASGI), and the
baseline runs the very statements that page sent — captured from the engine — straight
through asyncpg on one connection, with no ORM, no rendering and no HTTP. Target: p99 < 200 ms
per page; the ratio says what the dashboard costs above its SQL. Counted figures are read from
the counters the database keeps (migration 0017) on every request; the two modes differ only
in the FAQ gaps: regrouped on every request (live) or in the background every 30 s (served,
the default). Then what keeping the counters costs a partner's turn: the same writes with the
triggers and without. Results and how to read them: docs/bench/dashboard.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from benchmarks.common import fresh_database, percentile, postgres_available
from bot.app import CoachBot
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Cohort, OutboxMessage, Partner
from bot.web.app import create_app
from bot.web.auth import COOKIE, Signer
from content.loader import PackLibrary
from handlers.broadcasts.models import Broadcast
from handlers.faq.models import FaqQuestion
from handlers.learning.models import AssessmentAnswer, ModuleProgress, QuizAnswer, QuizAttempt
from handlers.missions.models import MissionSubmission
from handlers.tickets.models import CoachTicket, TicketMessage
from handlers.webinars.models import Webinar, WebinarRsvp

ROOT = Path(__file__).resolve().parents[1]
PACKS = ROOT / "tests" / "fixtures" / "packs"
CHUNK = 5000
COHORTS = 20
COACH_ID = 1

PAGES = ["/cohorts", "/cohorts?cohort=c05", "/readiness",
         "/readiness?cohort=c05&background=worker", "/quiz", "/quiz?cohort=c05", "/tickets",
         "/tickets/1", "/broadcasts", "/broadcasts/1", "/webinars", "/webinars/1", "/faq",
         "/cohorts?csv=stalled", "/partners/2"]


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, packs_dir=PACKS,  # type: ignore[call-arg]
                    default_pack="example", dashboard_enabled=False)


async def _insert(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk-loads rows with COPY (the seed is not what is measured)."""
    if not rows:
        return
    table = model.__table__
    given = set().union(*(r.keys() for r in rows))
    cols = [c.name for c in table.columns
            if c.name in given or (not c.nullable and not c.primary_key)]
    defaults = {c.name: (c.default.arg if c.default is not None and not callable(
        c.default.arg) else None) for c in table.columns}
    records = []
    for r in rows:
        rec = []
        for c in cols:
            v = r.get(c, defaults.get(c))
            rec.append(json.dumps(v) if isinstance(v, dict | list) else v)
        records.append(tuple(rec))
    url = db.engine.url.render_as_string(hide_password=False)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        # no triggers while loading: the dashboard's counters are summed once at the end
        await conn.execute("SET session_replication_role = replica")
        await conn.copy_records_to_table(table.name, records=records, columns=cols)
    finally:
        await conn.close()


async def seed(db: Database, n: int, now: datetime) -> None:
    rnd = random.Random(18)
    await _insert(db, Cohort, [dict(id=c + 1, code=f"c{c:02d}", name=f"Batch {c}",
                                    pack_id="example", created_at=now) for c in range(COHORTS)])
    partners, progress, attempts, answers, ratings = [], [], [], [], []
    submissions: list[dict[str, Any]] = []
    partners.append(dict(id=COACH_ID, channel="telegram", external_id="1", chat_id="1",
                         name="Rina", language="id", timezone="Asia/Jakarta", role="coach",
                         pack_id="example", state="menu", opted_out=False, blocked=False,
                         created_at=now, last_active_at=now))
    attempt_id = 0
    for i in range(2, n + 2):
        last = now - timedelta(minutes=rnd.randrange(30 * 24 * 60))
        kind = rnd.random()
        row = dict(id=i, channel="telegram", external_id=str(10_000_000 + i),
                   chat_id=str(10_000_000 + i), name=f"P{i}", language="id",
                   background=rnd.choice(("student", "fresh_graduate", "worker", "other")),
                   timezone="Asia/Jakarta", role="partner", cohort_id=rnd.randrange(COHORTS) + 1,
                   pack_id="example", state="menu", module_id=None, step_id=None,
                   onboarded_at=last - timedelta(days=1), opted_out=False, blocked=False,
                   created_at=last - timedelta(days=2), last_active_at=last)
        partners.append(row)
        if kind < 0.15:
            row.update(state="onboard_name", onboarded_at=None)
            continue
        for sid in ("program", "ready"):
            ratings.append(dict(partner_id=i, phase="before", statement_id=sid,
                                rating=rnd.randint(1, 4), created_at=last))
        if kind < 0.5:
            row.update(state="module", module_id="basics", step_id="why")
            progress.append(dict(partner_id=i, module_id="basics", step_id="why",
                                 started_at=last, updated_at=last, completed_at=None))
            continue
        progress.append(dict(partner_id=i, module_id="basics", step_id="check1",
                             started_at=last, updated_at=last, completed_at=last))
        for quiz, qs in (("basics", ("q1", "q2")), ("final", ("f1", "f2"))):
            if quiz == "final" and kind < 0.75:
                break
            attempt_id += 1
            picks = [rnd.random() < 0.7 for _ in qs]
            attempts.append(dict(id=attempt_id, partner_id=i, quiz_id=quiz, started_at=last,
                                 finished_at=last, score=sum(picks), total=len(qs),
                                 passed=sum(picks) >= 1))
            answers += [dict(attempt_id=attempt_id, question_id=q, option_id="a" if ok else "b",
                             correct=ok, created_at=last) for q, ok in zip(qs, picks, strict=True)]
        if kind >= 0.75:
            progress.append(dict(partner_id=i, module_id="promo", step_id="plan",
                                 started_at=last, updated_at=last, completed_at=last))
            # missions (the funnel's last steps): a proof of a first sale, approved or waiting
            for mission, share in (("first_sale", 0.75), ("first_post", 0.9)):
                if kind >= share:
                    submissions.append(dict(
                        partner_id=i, mission_id=mission, kind="text", text="bukti",
                        status="approved" if rnd.random() < 0.6 else "waiting",
                        target_met=False, created_at=last))
            for sid in ("program", "ready"):
                ratings.append(dict(partner_id=i, phase="after", statement_id=sid,
                                    rating=rnd.randint(3, 5), created_at=last))
    await _insert(db, Partner, partners)
    await _insert(db, ModuleProgress, progress)
    await _insert(db, QuizAttempt, attempts)
    await _insert(db, QuizAnswer, answers)
    await _insert(db, AssessmentAnswer, ratings)
    await _insert(db, MissionSubmission, submissions)
    tickets = [dict(id=t + 1, partner_id=2 + rnd.randrange(n), channel="telegram",
                    text=f"Pertanyaan nomor {t}", status="open" if t % 4 == 0 else "closed",
                    thread_open=True, created_at=now - timedelta(minutes=rnd.randrange(5000)))
               for t in range(2000)]
    await _insert(db, CoachTicket, tickets)
    await _insert(db, TicketMessage, [dict(ticket_id=t["id"], author="partner", text=t["text"],
                                           created_at=t["created_at"]) for t in tickets])
    outbox = []
    for b in range(1, 4):
        await _insert(db, Broadcast, [dict(id=b, segment="all", text=f"Info {b}",
                                           send_at=now - timedelta(days=b), status="done",
                                           total=20_000, created_by=COACH_ID, created_at=now)])
        outbox += [dict(partner_id=p, channel="telegram", chat_id=str(p), kind="broadcast",
                        payload={"text": f"Info {b}"}, due_at=now, status="sent", attempts=1,
                        dedupe_key=f"bc:{b}:{p}", created_at=now, sent_at=now)
                   for p in range(2, min(n, 20_000) + 2)]
    await _insert(db, OutboxMessage, outbox)
    await _insert(db, Webinar, [dict(id=1, title="Live selling", starts_at=now + timedelta(
        days=3), link="https://meet.example.org/x", audience="all", timezone="Asia/Jakarta",
        status="scheduled", revision=0, created_at=now, updated_at=now)])
    await _insert(db, WebinarRsvp, [dict(webinar_id=1, partner_id=p, answer=rnd.choice(
        ("yes", "no")), updated_at=now) for p in range(2, min(n, 5000) + 2)])
    words = ["kapal", "ongkir", "pajak", "rekening", "akun", "voucher", "retur", "stok"]
    await _insert(db, FaqQuestion, [dict(
        partner_id=2 + rnd.randrange(n), pack_id="example", lang="id",
        text=f"bagaimana {rnd.choice(words)} {rnd.choice(words)} kalau {rnd.choice(words)}",
        confidence=0.1, band="none", offered=[], created_at=now - timedelta(hours=q))
        for q in range(3000)])
    async with db.engine.begin() as conn:  # the counters, as migration 0017 fills them
        await conn.exec_driver_sql("SELECT dash_rebuild()")
    # VACUUM as autovacuum would after a bulk load: it sets the visibility map, without which
    # PostgreSQL cannot answer from an index alone (index-only scans)
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE")


async def bench(partners: int, requests: int, live_requests: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database("postgres", Path(tmp)) as db:
            t0 = time.perf_counter()
            await seed(db, partners, now)
            print(f"seeded {partners:,} partners in {time.perf_counter() - t0:.0f} s", flush=True)
            url = db.engine.url.render_as_string(hide_password=False)
            captured: list[tuple[str, tuple[Any, ...]]] = []

            @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
            def capture(conn: Any, cursor: Any, statement: str, params: Any, ctx: Any,
                        many: bool) -> None:
                captured.append((statement, tuple(params or ())))

            raw = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
            for mode, max_age, n in (("live: FAQ gaps regrouped on every request", 0.0,
                                      live_requests),
                                     ("served: FAQ gaps regrouped every 30 s", 30.0, requests)):
                settings = _settings(url)
                settings.dashboard_figures_max_age = max_age
                # a real clock, so figures really age and are recounted while pages are served
                bot = CoachBot(db, PackLibrary.load([PACKS / "example"]), settings)
                print(f"\n{mode} ({n} requests a page)\n\n{HEADER}", flush=True)
                await _pages(bot, raw, captured, n, now)
            await _write_cost(raw, now)
            await raw.close()


TRIGGERS = {"partners": ("dash_on_partners_insert", "dash_on_partners_update"),
            "module_progress": ("dash_on_module_progress",),
            "quiz_attempts": ("dash_on_quiz_attempts",), "quiz_answers": ("dash_on_quiz_answers",),
            "assessment_answers": ("dash_on_assessment_answers",)}


async def _turn(raw: Any, pid: int, now: datetime) -> float:
    """One partner's turn that moves every counter kind but missions: they finish a module,
    pass its quiz (two answers) and rate a statement after; one transaction, as the bot's."""
    t = time.perf_counter()
    async with raw.transaction():
        await raw.execute("UPDATE partners SET last_active_at = $2 WHERE id = $1", pid, now)
        await raw.execute("UPDATE module_progress SET completed_at = $2, step_id = 'check1' "
                          "WHERE partner_id = $1 AND module_id = 'basics'", pid, now)
        aid = await raw.fetchval(
            "INSERT INTO quiz_attempts (partner_id, quiz_id, started_at, finished_at, score, "
            "total, passed) VALUES ($1, 'basics', $2, $2, 1, 2, true) RETURNING id", pid, now)
        for q, ok in (("q1", True), ("q2", False)):
            await raw.execute("INSERT INTO quiz_answers (attempt_id, question_id, option_id, "
                              "correct, created_at) VALUES ($1, $2, $3, $4, $5)",
                              aid, q, "a" if ok else "b", ok, now)
        await raw.execute("INSERT INTO assessment_answers (partner_id, phase, statement_id, "
                          "rating, created_at) VALUES ($1, 'after', 'ready', 4, $2)", pid, now)
    return (time.perf_counter() - t) * 1000


async def _write_cost(raw: Any, now: datetime, blocks: int = 6, per_block: int = 25) -> None:
    """What keeping the counters costs a partner's turn: the same turn with the dashboard's
    triggers and with them disabled (the baseline), in alternating blocks, distinct partners
    (mid-module, as the seed left them)."""
    pids = [r[0] for r in await raw.fetch(
        "SELECT partner_id FROM module_progress WHERE completed_at IS NULL ORDER BY partner_id "
        "LIMIT $1", blocks * per_block * 2 + 10)]
    await raw.execute("SELECT setval(pg_get_serial_sequence('quiz_attempts', 'id'), "
                      "(SELECT max(id) FROM quiz_attempts))")  # the seed gave ids
    with_t: list[float] = []
    without: list[float] = []
    for _ in range(2):  # warm both paths (plans)
        await _turn(raw, pids.pop(), now)
    for b in range(blocks * 2):
        on = b % 2 == 0
        for table, names in TRIGGERS.items():
            for name in names:
                await raw.execute(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} "
                                  f"TRIGGER {name}")
        for _ in range(per_block):
            (with_t if on else without).append(await _turn(raw, pids.pop(), now))
    print(f"\nwrite cost: one turn (module done, quiz passed with 2 answers, a rating), "
          f"{len(with_t)} turns each way\n\n| | p50 ms | p99 ms |\n|---|---:|---:|\n"
          f"| with the dashboard's triggers | {percentile(with_t, 50):.2f} | "
          f"{percentile(with_t, 99):.2f} |\n| triggers disabled (baseline) | "
          f"{percentile(without, 50):.2f} | {percentile(without, 99):.2f} |\n"
          f"| ratio | {percentile(with_t, 50) / percentile(without, 50):.2f} | "
          f"{percentile(with_t, 99) / percentile(without, 99):.2f} |", flush=True)


HEADER = ("| page | statements | p50 ms | p99 ms | raw p50 ms | raw p99 ms | p99 ratio | "
          "< 200 ms |\n|---|---:|---:|---:|---:|---:|---:|---|")


async def _pages(bot: CoachBot, raw: Any, captured: list[tuple[str, tuple[Any, ...]]],
                 requests: int, now: datetime) -> None:
    transport = httpx.ASGITransport(app=create_app(bot, secret="bench"))
    cookie = Signer("bench").issue(COACH_ID, now)
    async with httpx.AsyncClient(transport=transport, base_url="http://d",
                                 cookies={COOKIE: cookie}) as client:
        for page in PAGES:
            captured.clear()
            first = await client.get(page)  # a first visit always counts
            assert first.status_code == 200, (page, first.status_code, first.text[:300])
            statements = [(s, p) for s, p in captured
                          if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))]
            web, base = [], []
            for _ in range(3):  # warm both paths (plans, caches)
                await client.get(page)
                for s, p in statements:
                    await raw.fetch(s, *p)
            for _ in range(requests):
                t = time.perf_counter()
                r = await client.get(page)
                web.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
                t = time.perf_counter()
                async with raw.transaction():
                    for s, p in statements:
                        await raw.fetch(s, *p)
                base.append((time.perf_counter() - t) * 1000)
            print(_line(dict(page=page, statements=len(statements), p50=percentile(web, 50),
                             p99=percentile(web, 99), base_p50=percentile(base, 50),
                             base_p99=percentile(base, 99))), flush=True)


def _line(r: dict[str, Any]) -> str:
    ok = "ok" if r["p99"] < 200 else "OVER"
    return (f"| `{r['page']}` | {r['statements']} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['base_p50']:.1f} | {r['base_p99']:.1f} | "
            f"{r['p99'] / max(r['base_p99'], 0.001):.2f} | {ok} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--partners", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--live-requests", type=int, default=10)
    args, _ = ap.parse_known_args()
    if not asyncio.run(postgres_available()):
        print("[postgres] skipped: no server")
        return
    asyncio.run(bench(args.partners, args.requests, args.live_requests))


if __name__ == "__main__":
    main()
