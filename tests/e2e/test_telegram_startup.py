"""`coachbot run` as a process: a wrong token is one clear line; a good one serves and stops."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_PACKS
from tests.dashboard.test_serving import free_port
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
    _, err = await asyncio.wait_for(proc.communicate(), 180)

    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode != 0
    assert len(lines) == 1, err.decode()
    assert "Telegram rejected the bot token" in lines[0] and "42:not" not in lines[0]
    assert [c.method for c in fake.calls] == ["getMe"], "no retry loop"


@pytest.mark.parametrize(("driver", "event_loop"),
                         [(d, loop) for d in DRIVERS for loop in ("uvloop", "asyncio")])
async def test_coachbot_run_serves_a_partner_and_stops_cleanly_on_sigterm(
        fake: FakeBotAPI, tmp_path: Path, driver: str, event_loop: str) -> None:
    """The real process, as `make run` starts it, on each event loop it can run on."""
    pytest.importorskip(event_loop)
    env = {**os.environ,
           "COACHBOT_TELEGRAM_TOKEN": fake.token,
           "COACHBOT_TELEGRAM_DRIVER": driver,
           "COACHBOT_TELEGRAM_API_BASE": fake.base_url,
           "COACHBOT_TELEGRAM_POLL_TIMEOUT": "1",
           "COACHBOT_EVENT_LOOP": event_loop,
           "COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
           "COACHBOT_PACKS_DIR": str(EXAMPLE_PACKS), "COACHBOT_DEFAULT_PACK": "example",
           # the dashboard as `make run` starts it, on a port no other process holds
           "COACHBOT_DASHBOARD_LISTEN": f"127.0.0.1:{free_port()}"}
    env.pop("COACHBOT_WEBHOOK_URL", None)
    coachbot = Path(sys.executable).parent / "coachbot"
    proc = await asyncio.create_subprocess_exec(
        str(coachbot), "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_until(lambda: bool(fake.calls_to("getUpdates"))
                              or proc.returncode is not None, within=180,
                              what="the bot to start polling")
        sari = fake.user("sari", language_code="en")
        await sari.send("/start")
        await sari.wait_messages(2, within=30)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 180)

    log = err.decode()
    assert proc.returncode == 0, log
    assert "Traceback" not in log and "ERROR" not in log, log
    assert f"driver={driver} mode=polling" in log
