"""The dashboard is served beside the bot (`coachbot run`) and alone (`coachbot dashboard
serve`); a busy address does not stop the bot."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.app import CoachBot
from bot.core import Inbound
from bot.runtime import background_services
from tests.dashboard.conftest import LINK, make_coach


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_running_bot_serves_the_dashboard_beside_the_chat(bot: CoachBot) -> None:
    port = free_port()
    bot.settings.scheduler_enabled = False
    bot.settings.dashboard_listen = f"127.0.0.1:{port}"
    coach = await make_coach(bot)
    await coach.send("/dashboard")
    found = LINK.search(coach.text)
    assert found and f"127.0.0.1:{port}/login/" in found.group(0)
    async with background_services(bot, {}), httpx.AsyncClient() as client:
        r = await client.get(found.group(0), follow_redirects=True)
        assert r.status_code == 200 and "<svg" in r.text
    with pytest.raises(httpx.ConnectError):
        await httpx.AsyncClient().get(f"http://127.0.0.1:{port}/cohorts")


async def test_a_busy_address_leaves_the_bot_running(bot: CoachBot,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot.settings.scheduler_enabled = False
        bot.settings.dashboard_listen = f"127.0.0.1:{taken.getsockname()[1]}"
        async with background_services(bot, {}):
            replies = await bot.handle(Inbound.from_text("console", "sari", "/start",
                                                         update_id="u1"))
            assert replies
    assert "dashboard not started" in caplog.text


@pytest.mark.slow
async def test_coachbot_dashboard_serve_serves_it_alone(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.sqlite3",
           "COACHBOT_DASHBOARD_LISTEN": f"127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from bot.cli import main; main()", "dashboard", "serve",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    try:
        log = b""
        while b"dashboard at" not in log:  # imports take long on a busy machine
            line = await asyncio.wait_for(proc.stderr.readline(), 120)
            assert line, f"the process ended: {log.decode()}"
            log += line
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{port}/cohorts")
        assert r.status_code == 401 and "/dashboard" in r.text
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
