"""A coach signs in to the dashboard with a one-time link; nobody else gets in."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app as cli
from bot.config import Settings
from bot.core import FixedClock, Inbound
from bot.runtime import build_app
from bot.storage.repos import Repos
from bot.web.app import create_app
from bot.web.auth import COOKIE, Signer
from tests.conftest import EXAMPLE_PACKS
from tests.dashboard.conftest import Web
from tests.fixtures.chat import Chat

PAGES = ["/cohorts", "/readiness", "/quiz", "/tickets", "/tickets/1", "/broadcasts",
         "/broadcasts/1", "/webinars", "/webinars/1", "/faq", "/cohorts?csv=funnel",
         "/partners/1"]
ACTIONS = ["/logout", "/tickets/1/answer", "/tickets/1/close", "/broadcasts/preview",
           "/broadcasts/send", "/broadcasts/1/cancel", "/webinars/preview", "/webinars/create",
           "/faq/teach", "/faq/entry", "/partners/1/message", "/partners/1/ticket"]


async def test_a_coach_signs_in_through_the_link_from_chat(web: Web, coach: Chat) -> None:
    await coach.send("/dashboard")
    assert "10" in coach.text and "/login/" in coach.text
    link = await web.link_from_chat(coach)
    r = await web.client.get(link)
    assert r.status_code == 303 and r.headers["location"] == "/cohorts"
    cookie = r.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    page = await web.client.get("/cohorts")
    assert page.status_code == 200
    assert "Corong kemajuan" in page.text  # Rina chats in Indonesian
    assert "Progress funnel" in (await web.client.get("/cohorts?lang=en")).text
    assert "Progress funnel" in (await web.client.get("/cohorts")).text  # the choice stays


async def test_a_used_link_is_refused_with_a_clear_page(web: Web, coach: Chat) -> None:
    link = await web.link_from_chat(coach)
    assert (await web.client.get(link)).status_code == 303
    web.client.cookies.clear()
    again = await web.client.get(link)
    assert again.status_code == 403
    assert "hanya bisa dipakai sekali" in again.text
    assert (await web.client.get("/cohorts")).status_code == 401


async def test_a_link_older_than_ten_minutes_is_refused(web: Web, coach: Chat,
                                                        clock: FixedClock) -> None:
    link = await web.link_from_chat(coach)
    clock.advance(minutes=10, seconds=1)
    r = await web.client.get(link)
    assert r.status_code == 403 and "kedaluwarsa" in r.text
    assert COOKIE not in r.headers.get("set-cookie", "")


async def test_a_link_still_fresh_at_nine_minutes_works(web: Web, coach: Chat,
                                                         clock: FixedClock) -> None:
    link = await web.link_from_chat(coach)
    clock.advance(minutes=9)
    assert (await web.client.get(link)).status_code == 303


async def test_a_made_up_link_is_refused(web: Web) -> None:
    r = await web.client.get("/login/not-a-real-token")
    assert r.status_code == 403 and "tidak kami kenali" in r.text


async def test_a_partner_cannot_ask_for_a_link(chat: Chat) -> None:
    await chat.onboard()
    await chat.send("/dashboard")
    assert "coaches only" in chat.text and "/login/" not in chat.text


@pytest.mark.parametrize("path", PAGES)
async def test_no_page_opens_without_a_session(web: Web, path: str) -> None:
    r = await web.client.get(path)
    assert r.status_code == 401 and "/dashboard" in r.text


@pytest.mark.parametrize("path", ACTIONS)
async def test_no_action_runs_without_a_session(web: Web, path: str) -> None:
    r = await web.client.post(path, data={"csrf": "x", "text": "hi", "segment": "all"})
    assert r.status_code == 401


async def test_a_forged_session_cookie_is_refused(web: Web, coach: Chat, bot: CoachBot) -> None:
    forged = Signer("another secret").issue(1, bot.clock.now())
    web.client.cookies.set(COOKIE, forged)
    assert (await web.client.get("/cohorts")).status_code == 401


async def test_a_partner_with_a_session_is_refused(web: Web, chat: Chat, bot: CoachBot) -> None:
    await chat.onboard()
    async with bot.db.transaction() as s:
        partner = await Repos(s).partners.get("console", "sari")
    assert partner is not None
    web.client.cookies.set(COOKIE, Signer("test-secret").issue(partner.id, bot.clock.now()))
    for path in PAGES:
        r = await web.client.get(path)
        assert r.status_code == 403, path
        assert "hanya untuk coach" in r.text


async def test_a_coach_made_partner_again_loses_the_dashboard(web: Web, coach: Chat,
                                                               bot: CoachBot) -> None:
    await web.sign_in(coach)
    assert (await web.client.get("/tickets")).status_code == 200
    async with bot.db.transaction() as s:
        repos = Repos(s)
        rina = await repos.partners.get("console", "rina")
        assert rina is not None
        rina.role = "partner"
        await repos.partners.save(rina)
    assert (await web.client.get("/tickets")).status_code == 403


@pytest.mark.parametrize("path", ACTIONS)
async def test_an_action_without_its_csrf_token_is_refused(web: Web, coach: Chat,
                                                           path: str) -> None:
    await web.sign_in(coach)
    r = await web.client.post(path, data={"text": "hi", "segment": "all"})
    assert r.status_code == 403 and "token" in r.text
    r = await web.client.post(path, data={"csrf": "wrong", "text": "hi", "segment": "all"})
    assert r.status_code == 403


async def test_signing_out_ends_the_session(web: Web, coach: Chat) -> None:
    await web.sign_in(coach)
    token = await web.csrf("/cohorts")
    r = await web.client.post("/logout", data={"csrf": token})
    assert r.status_code == 200 and "keluar" in r.text
    assert (await web.client.get("/cohorts")).status_code == 401


def test_the_cli_prints_the_link_as_its_last_line(env: object, tmp_path: object) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["coach", "add", "console:rina", "--name", "Rina"]).exit_code == 0
    out = runner.invoke(cli, ["dashboard", "link", "--coach", "console:rina"])
    assert out.exit_code == 0, out.output
    last = out.output.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8081/login/\S+", last)

    async def open_link() -> tuple[int, int]:
        bot = await build_app(Settings(packs_dir=EXAMPLE_PACKS, default_pack="example"))
        transport = httpx.ASGITransport(app=create_app(bot))
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
            first = (await client.get(last.split("8081", 1)[1])).status_code
            page = (await client.get("/cohorts")).status_code
        await bot.db.dispose()
        return first, page

    assert asyncio.run(open_link()) == (303, 200)


def test_the_cli_refuses_someone_who_is_not_a_coach(env: object) -> None:
    out = CliRunner().invoke(cli, ["dashboard", "link", "--coach", "console:nobody"])
    assert out.exit_code == 1 and "not a coach" in out.output


async def test_no_link_is_sent_into_a_group_chat(bot: CoachBot, coach: Chat) -> None:
    msg = Inbound.from_text("console", "rina", "/dashboard", chat_id="coaches-group",
                            is_group=True, update_id="g1")
    replies = await bot.handle(msg)
    assert "/login/" not in replies[0].text and "/dashboard" in replies[0].text
