"""A coach reviews proof from the terminal: `coachbot missions review`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app
from bot.config import Settings
from bot.core import SystemClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from content.loader import PackLibrary
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion

runner = CliRunner()


async def _two_proofs(env: Path, packs: Path) -> None:
    """Sari sends a link for one mission and a number for another, as in chat."""
    db = Database(f"sqlite+aiosqlite:///{env}/cli.sqlite3")
    await db.migrate()
    settings = Settings(_env_file=None, packs_dir=packs,  # type: ignore[call-arg]
                        default_pack="example")
    bot = CoachBot(db, PackLibrary.load([packs / "example"]), settings,
                   clock=SystemClock())
    sari = Chat(bot, user="sari")
    await finish_promotion(sari)
    await sari.send("/missions")
    await sari.press("First video")
    await sari.press("Send proof")
    await sari.send("https://video.example/v/1")
    await sari.press("Other missions")
    await sari.press("3 sales")
    await sari.press("Send proof")
    await sari.send("5")
    await db.dispose()


async def _keys(env: Path) -> set[str]:
    db = Database(f"sqlite+aiosqlite:///{env}/cli.sqlite3")
    async with db.transaction() as s:
        keys = set((await s.execute(select(OutboxMessage.dedupe_key))).scalars())
    await db.dispose()
    return keys


def test_the_terminal_lists_waiting_proof_and_records_the_verdicts(
        env: Path, mission_packs: Path) -> None:
    asyncio.run(_two_proofs(env, mission_packs))
    listing = runner.invoke(app, ["missions", "review"])
    assert listing.exit_code == 0, listing.output
    assert "Mission proof waiting for review: 2" in listing.output
    assert "#1" in listing.output and "Sari (console:sari)" in listing.output
    assert "https://video.example/v/1" in listing.output and "[number] 5" in listing.output

    changed = runner.invoke(app, ["missions", "review", "--change", "1", "--by", "Dewi",
                                  "--feedback", "Add the product link"])
    assert "Your feedback on proof #1 went to Sari" in changed.output
    approved = runner.invoke(app, ["missions", "review", "--approve", "2", "--by", "Dewi"])
    assert "Proof #2 approved" in approved.output and "Sari reached the target" in approved.output
    again = runner.invoke(app, ["missions", "review", "--approve", "2"])
    assert "already been reviewed" in again.output

    assert {"mission:1:changes", "mission:2:approved", "mission:2:target"} <= asyncio.run(
        _keys(env))
