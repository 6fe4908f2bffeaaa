"""The example pack with practice missions (kept out of the shared example pack, so other
features' stories are not joined by mission nudges), a partner who finished the promotion
module, and the coaches' chat on the console."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from content.loader import PackLibrary
from tests.conftest import EXAMPLE_PACKS
from tests.faq.conftest import coach
from tests.fixtures.chat import Chat

__all__ = ["coach", "finish_promotion"]
MISSIONS = Path(__file__).parent / "example_missions.yaml"


@pytest.fixture(scope="session")
def mission_packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A packs folder holding the example pack with missions.yaml."""
    base = tmp_path_factory.mktemp("packs")
    shutil.copytree(EXAMPLE_PACKS / "example", base / "example")
    shutil.copy(MISSIONS, base / "example" / "missions.yaml")
    return base


@pytest.fixture(scope="session")
def library(mission_packs: Path) -> PackLibrary:
    return PackLibrary.load([mission_packs / "example"])


@pytest.fixture
def settings(mission_packs: Path) -> Settings:
    return Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",  # type: ignore[call-arg]
                    packs_dir=mission_packs, default_pack="example")


@pytest.fixture
def env(env: Path, mission_packs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COACHBOT_PACKS_DIR", str(mission_packs))
    return env


async def finish_promotion(chat: Chat, name: str = "Sari") -> None:
    """Onboards and works through both modules of the example pack (promo unlocks the
    missions)."""
    await chat.onboard(name=name)
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Menu")
    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    assert "You finished" in chat.text
