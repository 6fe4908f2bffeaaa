"""kill -9 of the real bot process (issue 16 finding 3): no partner's message goes unanswered.

`coachbot run` runs as its own OS process (polling, on SQLite and PostgreSQL) against the
fake Bot API served from this test. A reply is committed in the outbox with the turn that
produced it, so a SIGKILL between the commit and the send leaves a row `sending` that the
restarted process sends after its lease; a crash repeats at most the replies in flight.

COACHBOT_TEST_KILLS sets the number of random kills (CI: 2, as each restart costs seconds);
benchmarks/bench_reliability.py runs 10 over a few thousand messages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.storage.db import Database
from tests.fakes import FakeBotAPI
from tests.reliability.processes import (
    BotProcess,
    bot_env,
    check_state,
    no_replies_in_flight,
    random_kills,
    wait_for,
)
from tests.scheduler.test_restarts import db_url

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
KILLS = int(os.environ.get("COACHBOT_TEST_KILLS", "2"))
MODULES = {"basics", "promo"}


async def test_a_kill_9_after_the_commit_still_answers_after_the_restart(
        database: Database, tmp_path: Path) -> None:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        env = bot_env(fake, db_url(database))
        dying = BotProcess(fake, {**env, "COACHBOT_TEST_DIE_AFTER_COMMIT": "Sari"}, tmp_path,
                           argv=[sys.executable, "-m", "tests.reliability.dying_bot", "run"])
        bot = BotProcess(fake, env, tmp_path)
        try:
            await dying.start()
            sari = fake.user("Sari", language_code="en")
            hello = await sari.say("/start")
            asked = await sari.tap(hello, "English")
            assert any("name" in m.get("text", "").lower() for m in asked), asked
            # what went out is settled (its reply rows deleted) before the crash
            await wait_for(lambda: no_replies_in_flight(database), 60)

            await sari.send("Sari")  # her name: committed, then the process dies
            assert await dying.died(within=120) == -9, dying.tail()
            assert not [m for m in sari.unread() if "Sari" in m.get("text", "")], \
                "the answer went out before the kill"

            await bot.start()  # the same `coachbot run`, without the hook
            answer = await sari.wait_messages(1, within=120)
            assert "Nice to meet you, Sari" in answer[0]["text"], [
                m.get("text") for m in fake.chat_messages(sari.id)]
            said = [m.get("text", "") for m in fake.chat_messages(sari.id)]
            assert sum("Nice to meet you" in t for t in said) == 1, said
            assert len(said) == len(set(said)), f"a reply was sent twice: {said}"
        finally:
            await dying.stop()
            await bot.stop()


async def test_random_kills_lose_no_message(database: Database, tmp_path: Path) -> None:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake:
        bot = BotProcess(fake, bot_env(fake, db_url(database), COACHBOT_FLOOD_MESSAGES="0"),
                         tmp_path)
        try:
            run = await random_kills(fake, database, bot, partners=10, messages=20,
                                     kills=KILLS, seed=16, within=300)
        finally:
            await bot.stop()
        print(f"\nrandom kill -9 ({'PostgreSQL' if database.is_postgres else 'SQLite'}): "
              f"{run.summary()}")
        assert run.kills == KILLS
        assert run.lost == [], f"{len(run.lost)} messages never answered: {run.lost[:10]}"
        assert set(run.duplicated) <= run.in_flight, "only replies in flight come twice"
        assert sum(run.duplicated.values()) <= run.in_flight_replies
        await check_state(database, fake, run.users, MODULES)
