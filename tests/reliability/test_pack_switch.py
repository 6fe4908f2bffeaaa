"""Joining another pack's cohort in the middle of the self-assessment: the statements of the
new pack are shown, and their buttons work."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.learning.states import LearningState
from tests.conftest import EXAMPLE_PACKS
from tests.fixtures.chat import Chat


def _second_pack(tmp_path: Path) -> Path:
    """The example pack as 'kedua', with statements of its own."""
    target = tmp_path / "kedua"
    shutil.copytree(EXAMPLE_PACKS / "example", target)
    meta = yaml.safe_load((target / "pack.yaml").read_text(encoding="utf-8"))
    meta["id"] = "kedua"
    (target / "pack.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    (target / "assessment.yaml").write_text(yaml.safe_dump({
        "intro": {"id": "Nilai dirimu.", "en": "Rate yourself."},
        "statements": [
            {"id": "jualan", "text": {"id": "Aku bisa berjualan.", "en": "I can sell."}},
            {"id": "promo", "text": {"id": "Aku bisa promosi.", "en": "I can promote."}}]},
        allow_unicode=True), encoding="utf-8")
    return target


async def test_a_partner_who_joins_another_packs_cohort_mid_assessment_can_rate_on(
        database: Database, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    library = PackLibrary.load([EXAMPLE_PACKS / "example", _second_pack(tmp_path)])
    bot = CoachBot(database, library, settings, clock=clock)
    async with database.transaction() as s:
        await Repos(s).cohorts.create("Batch Kedua", "kedua", clock.now(), code="DUA")
    sari = Chat(bot, user="sari")
    await sari.send("/start")
    await sari.press("English")
    await sari.send("Sari")
    await sari.press("🎓")
    await sari.press("WITA")
    await sari.press("3")  # the first of the example pack's statements

    await sari.send("/start DUA")
    assert "I can sell" in sari.text, "the new pack's first statement is asked"
    await sari.press("4")
    assert "I can promote" in sari.text
    await sari.press("5")

    async with database.transaction() as s:
        partner = await Repos(s).partners.get("console", "sari")
    assert partner is not None and partner.pack_id == "kedua"
    assert partner.state == LearningState.MENU and partner.onboarded_at is not None
