"""Whatever partners send — NUL, lone surrogates, huge or deeply nested text, made-up
commands and buttons — the pipeline raises nothing and leaves no state that points nowhere,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.app import FALLBACK_ERROR, CoachBot
from bot.config import Settings
from bot.core import FixedClock, Inbound, Reply
from bot.storage.db import Database
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.learning.states import LearningState
from handlers.onboarding.states import OnboardingState
from tests.conftest import BACKENDS

ODD = ["\x00", "\ud800", "\udfff", "\u200b", "\ufeff", "*", "_", "`", "[", "{", "/", "\n",
       "😀", "ا", "\t"]
KINDS = ["l", "o", "m", "s", "c", "q", "qa", "a", "fq", "tk", "pv", "st", "n", "wr", "cw", "cb",
         "cn"]
COMMANDS = ["start", "help", "menu", "progress", "language", "mydata", "deletedata", "stop",
            "tanya", "coach", "cohort", "webinar", "broadcast", "tickets", "reply", "nope"]

texts = st.one_of(
    st.text(alphabet=st.one_of(st.characters(), st.sampled_from(ODD)), max_size=60),
    st.sampled_from(["[" * 20_000, "{" * 5_000 + "}" * 5_000, "x" * 10_000, "\x00" * 50,
                     "\ud83d" * 10, "", "   "]),
)
events = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("command"), st.tuples(st.sampled_from(COMMANDS), texts)),
    st.tuples(st.just("button"), st.tuples(st.sampled_from(KINDS), texts)),
    st.tuples(st.just("press"), st.integers(min_value=0, max_value=20)),
)
users = itertools.count(1)


def _inbound(user: str, n: int, event: tuple[str, object], last: list[Reply]) -> Inbound:
    kind, value = event
    common = {"chat_id": user, "update_id": f"{user}-{n}", "display_name": "Fu\x00zz\ud800"}
    if kind == "text":
        assert isinstance(value, str)
        return Inbound.from_text("console", user, value, **common)  # type: ignore[arg-type]
    if kind == "command":
        name, args = value  # type: ignore[misc]
        return Inbound.from_text("console", user, f"/{name} {args}", **common)  # type: ignore[arg-type]
    if kind == "button":
        prefix, rest = value  # type: ignore[misc]
        return Inbound.button("console", user, f"{prefix}:{rest}", **common)  # type: ignore[arg-type]
    buttons = [b for r in last for b in r.flat_buttons]
    payload = buttons[int(value) % len(buttons)].payload if buttons else "m:home"  # type: ignore[call-overload]
    return Inbound.button("console", user, payload, **common)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_pipeline_survives_anything_a_partner_sends(
        backend: str, tmp_path: Path, pg_database: str | None, library: PackLibrary) -> None:
    loop = asyncio.new_event_loop()
    url = (f"sqlite+aiosqlite:///{tmp_path / 'fuzz.sqlite3'}" if backend == "sqlite"
           else pg_database)
    assert url is not None
    db = Database(url)
    loop.run_until_complete(db.migrate())
    config = Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                      packs_dir=tmp_path, default_pack="example")
    bot = CoachBot(db, library, config, clock=FixedClock())
    known_states = ({str(s) for s in OnboardingState} | {str(s) for s in LearningState}
                    | set(bot.router.states))
    modules = set(library.packs["example"].modules)

    async def story(sequence: list[tuple[str, object]]) -> None:
        user = f"fuzz-{next(users)}"
        last: list[Reply] = []
        for n, event in enumerate(sequence):
            replies = await bot.handle(_inbound(user, n, event, last))
            assert not [r for r in replies if r.text in FALLBACK_ERROR.values()], event
            last = replies or last
        async with db.transaction() as s:
            p = await Repos(s).partners.get("console", user)
        if p is not None:
            assert p.state in known_states, p.state
            assert p.module_id is None or p.module_id in modules, p.module_id
            assert p.pack_id in library.packs

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(events, min_size=1, max_size=8))
    def check(sequence: list[tuple[str, object]]) -> None:
        loop.run_until_complete(story(sequence))

    try:
        check()
    finally:
        if backend == "postgres":
            loop.run_until_complete(_empty(db))
        loop.run_until_complete(db.dispose())
        loop.close()


async def _empty(db: Database) -> None:
    async with db.engine.begin() as conn:
        tables = (await conn.execute(text(
            "select tablename from pg_tables where schemaname = 'public' "
            "and tablename <> 'alembic_version'"))).scalars().all()
        await conn.execute(text(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
