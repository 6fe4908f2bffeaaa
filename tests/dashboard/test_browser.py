"""A coach in a real browser (Debian's Chromium through Playwright): signs in through the
link from chat, reads the cohort's funnel, answers a ticket, sends a broadcast after
confirming it. Screenshots are kept in var/test-artifacts/dashboard/."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import CoachBot
from bot.core import FixedClock
from bot.web import server
from tests.dashboard.conftest import LINK, make_coach
from tests.dashboard.test_pages import batch_one
from tests.fixtures.coaching import outbox

playwright = pytest.importorskip("playwright.async_api")

CHROMIUM = Path(os.environ.get("COACHBOT_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("COACHBOT_TEST_ARTIFACTS", "var/test-artifacts")) / "dashboard"

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}")]


@pytest.fixture
async def served(bot: CoachBot) -> AsyncIterator[str]:
    """The dashboard on a free local port, as `coachbot run` serves it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(server.serve(bot, stop, sock))
    yield f"http://127.0.0.1:{port}"
    stop.set()
    await task


async def test_a_coach_signs_in_reads_the_funnel_answers_and_broadcasts(
        served: str, bot: CoachBot, clock: FixedClock) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    people = await batch_one(bot)
    await people["budi"].send("/coach Kapan komisi dibayar?")
    coach = await make_coach(bot)
    await coach.send("/dashboard")
    found = LINK.search(coach.text)
    assert found

    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                           args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        await page.goto(f"{served}/login/{found.group(1)}")
        assert page.url.endswith("/cohorts")
        await page.select_option("select[name=cohort]", "batch1")
        await page.wait_for_url("**/cohorts?cohort=batch1")
        funnel = await page.locator("#funnel tbody tr").all_inner_texts()
        assert [" ".join(r.split()) for r in funnel] == [
            "Bergabung 3", "Profil lengkap 2", "Dasar program 2", "Promosi 0",
            "Lulus kuis akhir 0"]
        assert await page.locator("#funnel-chart svg rect").count() == 5
        await page.screenshot(path=ARTIFACTS / "cohorts.png", full_page=True)

        await page.click("text=Tiket")
        await page.click("#tickets a >> text=1")
        await page.fill("textarea[name=text]", "Setiap Jumat, langsung ke rekeningmu.")
        await page.screenshot(path=ARTIFACTS / "ticket.png", full_page=True)
        await page.click("button:has-text('Kirim jawaban')")
        assert "Budi" in await page.locator(".flash").inner_text()
        answers = await outbox(bot.db, "ticket:1:answer")
        assert [r.chat_id for r in answers] == ["budi"]
        assert "Setiap Jumat" in str(answers[0].payload["text"])

        await page.click("text=Broadcast")
        await page.fill("#segment", "cohort:batch1")
        await page.fill("#text", "Webinar malam ini jam 19:00 ya!")
        await page.click("button:has-text('Pratinjau')")
        assert "3 mitra" in await page.locator("#audience").inner_text()
        await page.screenshot(path=ARTIFACTS / "broadcast-confirm.png", full_page=True)
        assert await outbox(bot.db, "bc:") == []
        await page.click("button:has-text('Kirim ke 3 mitra')")
        await page.wait_for_url("**/broadcasts/1")
        assert "0 dari 3" in await page.locator("#progress").inner_text()
        await page.screenshot(path=ARTIFACTS / "broadcast-progress.png", full_page=True)
        await browser.close()
    assert sorted(r.chat_id for r in await outbox(bot.db, "bc:1:")) == ["ani", "budi", "sari"]
