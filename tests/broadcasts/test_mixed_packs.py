"""A deployment with two packs: a segment that names a module or quiz only ever holds the
partners whose pack has it, and the preview says who, per cohort and pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.audience import segments
from handlers.audience.segments import Audience, Catalog
from tests.conftest import EXAMPLE_PACKS
from tests.fixtures.chat import Chat

OTHER_PACK = Path(__file__).parents[1] / "fixtures" / "mixed" / "other"


@pytest.fixture
def mixed() -> PackLibrary:
    return PackLibrary.load([EXAMPLE_PACKS / "example", OTHER_PACK])


async def two_cohorts(db: Database, clock: FixedClock) -> None:
    """Mei (example pack): Sari, Budi, and Dewi who blocked the bot; Hosts (other pack): Ani."""
    async with db.transaction() as s:
        repos = Repos(s)
        mei = await repos.cohorts.create("Batch Mei", "example", clock.now(), "MEI")
        hosts = await repos.cohorts.create("Hosts Juni", "other", clock.now(), "HOST")
        for ext, cohort, pack in (("sari", mei, "example"), ("budi", mei, "example"),
                                  ("dewi", mei, "example"), ("ani", hosts, "other")):
            await repos.partners.create(channel="console", external_id=ext, chat_id=ext,
                                        pack_id=pack, now=clock.now(), name=ext.title(),
                                        cohort_id=cohort.id)
        dewi = await repos.partners.get("console", "dewi")
        assert dewi is not None
        dewi.blocked = True
        await repos.partners.save(dewi)


async def test_not_finished_a_module_leaves_out_the_other_packs_partners(
        database: Database, clock: FixedClock, mixed: PackLibrary) -> None:
    await two_cohorts(database, clock)
    catalog = Catalog.of(mixed.packs)
    async with database.transaction() as s:
        audience = Audience(s)
        not_basics = await audience.resolve(segments.parse("not_finished:basics"), catalog)
        not_hosting = await audience.resolve(segments.parse("not_finished:hosting"), catalog)
        everyone = await audience.count(segments.parse("all"), catalog)
        split = await audience.breakdown(segments.parse("all"), catalog)
        lost = await audience.unreachable(segments.parse("not_finished:basics"), catalog)
    assert {r.chat_id for r in not_basics} == {"sari", "budi"}
    assert {r.chat_id for r in not_hosting} == {"ani"}
    assert everyone == 3
    assert split == [("Batch Mei", "example", 2), ("Hosts Juni", "other", 1)]
    assert lost == 1


async def test_a_module_segment_without_the_packs_is_refused(
        database: Database, clock: FixedClock) -> None:
    await two_cohorts(database, clock)
    async with database.transaction() as s:
        with pytest.raises(segments.SegmentError):
            await Audience(s).resolve(segments.parse("not_finished:basics"))


async def test_the_coach_preview_counts_per_cohort_and_pack(
        database: Database, clock: FixedClock, mixed: PackLibrary,
        settings: Settings) -> None:
    bot = CoachBot(database, mixed, settings.model_copy(update={"admin_ids": ["console:rina"]}),
                   clock=clock)
    await two_cohorts(database, clock)
    rina = Chat(bot, user="rina", language_hint="en")
    await rina.send("/language en")
    await rina.send("/broadcast")
    await rina.press("Not finished")
    await rina.press("Program basics")
    await rina.send("Yuk lanjutkan modul dasar!")
    assert "2 partners" in rina.text
    assert "2 in Batch Mei · Example pack" in rina.text
    assert "Hosts Juni" not in rina.text
    assert "1 more partners match but cannot be reached" in rina.text


async def test_the_coach_can_pick_the_other_packs_module(
        database: Database, clock: FixedClock, mixed: PackLibrary,
        settings: Settings) -> None:
    bot = CoachBot(database, mixed, settings.model_copy(update={"admin_ids": ["console:rina"]}),
                   clock=clock)
    await two_cohorts(database, clock)
    rina = Chat(bot, user="rina", language_hint="en")
    await rina.send("/language en")
    await rina.send("/broadcast")
    await rina.press("Not finished")
    await rina.press("Hosting basics")
    assert "For: not finished module Hosting basics" in rina.text
    await rina.send("Halo para host!")
    assert "1 partners" in rina.text and "1 in Hosts Juni · Host pack" in rina.text
