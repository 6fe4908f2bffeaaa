"""A coach opens a partner (/partner, the dashboard's partner page) and sees their missions:
Sari's done and waiting for review, Budi's late, each with its deadline; the coaches feature
never imports missions (the section comes through `Feature.profile`)."""

from __future__ import annotations

import re

import httpx

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.repos import Repos
from bot.web.app import create_app
from handlers.coaches.profile import ProfileRepo, gather
from scheduler.scope import Scope
from tests.dashboard.conftest import Web, make_coach
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion


async def sari_sends_proof_and_budi_is_late(chat: Chat, coach: Chat, bot: CoachBot,
                                            clock: FixedClock) -> None:
    """Sari's "3 sales" is approved and her "First video" waits for review; Tono is asked to
    change his "3 sales"; Budi sends nothing and is late with "First video"."""
    await finish_promotion(chat)  # Sari, partner 1
    budi = Chat(bot, user="budi")
    await finish_promotion(budi, name="Budi")  # partner 2
    tono = Chat(bot, user="tono")
    await finish_promotion(tono, name="Tono")  # partner 3
    await chat.send("/missions")
    await chat.press("3 sales")
    await chat.press("Send proof")
    await chat.send("12")
    await coach.send("/review")
    await coach.press("Setujui")  # the coaches' chat speaks Indonesian
    await tono.send("/missions")
    await tono.press("3 sales")
    await tono.press("Send proof")
    await tono.send("2")
    await coach.send("/review")
    await coach.press("Minta perubahan")
    await coach.send("Tambahkan tangkapan layar pesanannya")
    await chat.send("/missions")
    await chat.press("First video")
    await chat.press("Send proof")
    await chat.send("https://video.example/v/1")
    clock.advance(days=8)  # past "First video"'s deadline (9 Nov): Budi and Tono sent nothing


async def test_the_profile_holds_the_features_sections(
        chat: Chat, coach: Chat, bot: CoachBot, database: Database, clock: FixedClock) -> None:
    await sari_sends_proof_and_budi_is_late(chat, coach, bot, clock)
    async with database.transaction() as s:
        repos = Repos(s)
        [sari] = await repos.get(ProfileRepo).find("Sari")
        [budi] = await repos.get(ProfileRepo).find("Budi")
        [tono] = await repos.get(ProfileRepo).find("Tono")
        bare = await gather(repos, bot.library, sari, "en")
        scope = Scope(repos, bot.library, bot.settings, clock.now(), bot.features)
        of_sari = await gather(repos, bot.library, sari, "en", scope=scope)
        of_budi = await gather(repos, bot.library, budi, "en", scope=scope)
        of_tono = await gather(repos, bot.library, tono, "en", scope=scope)
    assert bare.sections == ()  # without a scope: the coaches feature's own parts only
    [missions] = of_sari.sections
    assert missions.key == "missions"
    assert missions.title == "🎯 Practice missions (1 done, 1 waiting for review, 0 late)"
    assert missions.headers == ("Mission", "Status", "Due", "Coach's feedback")
    # what needs a coach first: waiting, late, to change, not sent, done
    assert missions.rows == [("First video", "waiting for review", "9 Nov", ""),
                             ("3 sales", "done", "12 Nov", "")]
    assert missions.lines == ["⏳ First video: waiting for review (due 9 Nov)",
                              "✅ 3 sales: done (due 12 Nov)"]
    [late] = of_budi.sections
    assert late.title == "🎯 Practice missions (0 done, 0 waiting for review, 1 late)"
    assert late.rows == [("First video", "late", "9 Nov", ""),
                         ("3 sales", "nothing sent yet", "12 Nov", "")]
    [change] = of_tono.sections
    assert change.rows == [("First video", "late", "9 Nov", ""),
                           ("3 sales", "to change", "12 Nov",
                            "Tambahkan tangkapan layar pesanannya")]
    assert change.lines[1] == ("✏️ 3 sales: to change, due 12 Nov — feedback: Tambahkan "
                               "tangkapan layar pesanannya")


async def test_a_coach_sees_the_missions_in_chat_and_on_the_dashboard(
        chat: Chat, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await sari_sends_proof_and_budi_is_late(chat, coach, bot, clock)
    rina = await make_coach(bot)
    await rina.send("/language")
    await rina.press("English")
    await rina.send("/partner Sari")
    assert ("*🎯 Practice missions (1 done, 1 waiting for review, 0 late)*\n"
            "⏳ First video: waiting for review (due 9 Nov)\n"
            "✅ 3 sales: done (due 12 Nov)\n") in rina.text
    await rina.send("/partner Budi")
    assert "⌛ First video: late, was due 9 Nov" in rina.text
    assert "🎯 3 sales: nothing sent yet, due 12 Nov" in rina.text

    transport = httpx.ASGITransport(app=create_app(bot, secret="test-secret"))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        web = Web(client, bot)
        await web.sign_in(rina)
        page = await client.get("/partners/1")
        assert page.status_code == 200
        found = re.search(r'<section id="section-missions">(.*?)</section>', page.text, re.S)
        assert found, page.text
        shown = found.group(1)
        assert "Practice missions (1 done, 1 waiting for review, 0 late)" in shown
        assert re.search(r"First video</td>.*?waiting for review</td>.*?9 Nov", shown, re.S)
        assert re.search(r"3 sales</td>.*?done</td>.*?12 Nov", shown, re.S)
        budi = await client.get("/partners/2")
        assert "0 done, 0 waiting for review, 1 late" in budi.text
        assert re.search(r"First video</td>[^/]*?late</td>", budi.text)
        csv = await client.get("/partners/2?csv=missions")
        assert csv.status_code == 200
        assert csv.text.splitlines() == ["Mission,Status,Due,Coach's feedback",
                                         "First video,late,9 Nov,",
                                         "3 sales,nothing sent yet,12 Nov,"]
