"""`coachbot run` with a token Telegram refuses: one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_PACKS
from tests.e2e.conftest import DRIVERS
from tests.fakes import FakeBotAPI

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_a_wrong_token_ends_with_one_clear_line(fake: FakeBotAPI, tmp_path: Path,
                                                      driver: str) -> None:
    env = {**os.environ,
           "COACHBOT_TELEGRAM_TOKEN": "42:not-the-real-token",
           "COACHBOT_TELEGRAM_DRIVER": driver,
           "COACHBOT_TELEGRAM_API_BASE": fake.base_url,
           "COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
           "COACHBOT_PACKS_DIR": str(EXAMPLE_PACKS), "COACHBOT_DEFAULT_PACK": "example"}
    coachbot = Path(sys.executable).parent / "coachbot"
    proc = await asyncio.create_subprocess_exec(
        str(coachbot), "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 60)

    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode != 0
    assert len(lines) == 1, err.decode()
    assert "Telegram rejected the bot token" in lines[0] and "42:not" not in lines[0]
    assert [c.method for c in fake.calls] == ["getMe"], "no retry loop"
