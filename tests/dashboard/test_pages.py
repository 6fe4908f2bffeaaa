"""What a coach sees on the dashboard: the cohort's funnel, who is stuck where, readiness,
the quiz questions everyone misses — and the CSV behind every table."""

from __future__ import annotations

import csv
import io
import re

import httpx
from sqlalchemy import select

from bot.app import CoachBot
from bot.core import FixedClock
from bot.storage.models import Partner
from bot.storage.repos import CohortRepo
from bot.web.app import Dashboard
from handlers.dashboard.figures import Figures
from handlers.missions.models import MissionSubmission
from tests.broadcasts.test_broadcasts import finish_basics, take_basics_quiz
from tests.dashboard.conftest import Web
from tests.fixtures.chat import Chat
from tests.reports.test_report import join


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def batch_one(bot: CoachBot) -> dict[str, Chat]:
    """Batch 1: Sari finished basics and passed its quiz, Budi finished and failed it, Ani
    never finished onboarding; Dodi is in another cohort."""
    async with bot.db.transaction() as s:
        await CohortRepo(s).create("Batch 1", "example", bot.clock.now(), "batch1")
        await CohortRepo(s).create("Batch 2", "example", bot.clock.now(), "batch2")
    sari = await join(bot, "sari", "Sari", "batch1")
    await finish_basics(sari)
    await take_basics_quiz(sari, good=True)
    budi = await join(bot, "budi", "Budi", "batch1")
    await finish_basics(budi)
    await take_basics_quiz(budi, good=False)
    ani = Chat(bot, user="ani")
    await ani.send("/start batch1")
    dodi = await join(bot, "dodi", "Dodi", "batch2")
    return {"sari": sari, "budi": budi, "ani": ani, "dodi": dodi}


async def test_the_coach_sees_the_cohort_funnel_and_pass_rates(web: Web, coach: Chat,
                                                               bot: CoachBot) -> None:
    await batch_one(bot)
    await web.sign_in(coach)
    page = await web.client.get("/cohorts?cohort=batch1&lang=en")
    assert page.status_code == 200
    assert "<svg" in page.text and "Progress funnel" in page.text
    funnel = rows((await web.client.get("/cohorts?cohort=batch1&csv=funnel")).text)
    assert funnel == [["Step", "Partners"], ["Joined", "3"], ["Onboarded", "2"],
                      ["Program basics", "2"], ["Promotion", "0"], ["Final quiz passed", "0"]]
    everyone = rows((await web.client.get("/cohorts?csv=funnel")).text)
    assert everyone[1] == ["Joined", "4"]
    rates = rows((await web.client.get("/cohorts?cohort=batch1&csv=pass_rates")).text)
    assert rates[1] == ["basics", "2", "1", "50%", "2"]
    groups = rows((await web.client.get("/cohorts?csv=cohorts")).text)
    assert [g[0] for g in groups[1:]] == ["batch1", "batch2"]
    assert [g[3] for g in groups[1:]] == ["3", "1"]


async def test_stalled_partners_are_listed_with_the_step_they_stopped_at(
        web: Web, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    people = await batch_one(bot)
    await people["budi"].press("Menu")
    await people["budi"].press("Promotion")
    clock.advance(days=4)
    await people["sari"].send("/menu")
    await web.sign_in(coach)
    stalled = rows((await web.client.get("/cohorts?cohort=batch1&csv=stalled&lang=en")).text)
    assert stalled[0] == ["Partner", "Stopped at", "Days idle"]
    assert sorted(stalled[1:]) == [["Budi", "Promotion · audience", "4"],
                                   ["ani", "setting up the profile", "4"]]
    page = await web.client.get("/cohorts?cohort=batch1")
    assert "Mitra yang berhenti (2)" in page.text


async def test_readiness_before_and_after_per_statement_and_background(
        web: Web, coach: Chat, bot: CoachBot) -> None:
    await batch_one(bot)
    worker = Chat(bot, user="wati")
    await worker.onboard(name="Wati", background="worker", ratings=5)
    await web.sign_in(coach)
    page = await web.client.get("/readiness?lang=en")
    assert page.status_code == 200 and "<svg" in page.text
    table = rows((await web.client.get("/readiness?csv=readiness&lang=en")).text)
    everyone = [r for r in table if r[0] == "Everyone"]
    # Sari, Budi, Dodi rated 2 and 4 (join), Wati 5 and 5; nobody has rated "after" yet
    assert everyone == [["Everyone", "I understand how the program works.", "2.75", "-", "-",
                         "4 / 0"],
                        ["Everyone", "I'm ready to start.", "4.25", "-", "-", "4 / 0"]]
    workers = rows((await web.client.get(
        "/readiness?csv=readiness&background=worker&lang=en")).text)
    assert {r[2] for r in workers[1:]} == {"5.00"}
    batch2 = rows((await web.client.get("/readiness?csv=readiness&cohort=batch2")).text)
    assert len(batch2) == 1 + 4  # two statements, everyone and students


async def test_quiz_items_show_miss_rate_and_the_wrong_option_chosen_most(
        web: Web, coach: Chat, bot: CoachBot) -> None:
    people = await batch_one(bot)
    await people["budi"].press("Retake")
    await people["budi"].press("Likes")
    await people["budi"].press("Nobody")
    await web.sign_in(coach)
    items = rows((await web.client.get("/quiz?csv=quiz_items&lang=en")).text)
    assert items[0] == ["Quiz", "Question", "Answers", "Miss rate", "Most chosen wrong option",
                        "Fix in"]
    # Sari right once, Budi wrong twice on both questions
    assert items[1:] == [
        ["basics", "Commission comes from?", "3", "67%", "b: Likes (2×)",
         "example/modules/01-basics.yaml#q1"],
        ["basics", "Help comes from?", "3", "67%", "b: Nobody (2×)",
         "example/modules/01-basics.yaml#q2"]]
    only_batch2 = rows((await web.client.get("/quiz?csv=quiz_items&cohort=batch2")).text)
    assert only_batch2[1:] == []


async def test_an_unknown_cohort_shows_an_empty_funnel_not_an_error(
        web: Web, coach: Chat, bot: CoachBot) -> None:
    await batch_one(bot)
    await web.sign_in(coach)
    r = await web.client.get("/cohorts?cohort=nope&csv=funnel&lang=en")
    assert r.status_code == 200 and rows(r.text)[1] == ["Joined", "0"]
    assert (await web.client.get("/cohorts?csv=nothing")).status_code == 404


async def test_pages_read_well_on_a_phone(web: Web, coach: Chat) -> None:
    await web.sign_in(coach)
    page = await web.client.get("/cohorts")
    assert 'name="viewport"' in page.text and "/static/style.css" in page.text
    css = await web.client.get("/static/style.css")
    assert css.status_code == 200 and "@media (max-width: 600px)" in css.text
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page.text) == []  # nothing from a CDN


async def test_counted_figures_are_current_on_the_next_request(
        web: Web, bot: CoachBot, coach: Chat) -> None:
    """No cache between a partner's step and the coach's page: the counters move with it."""
    await web.sign_in(coach)
    joined = "/cohorts?csv=funnel"
    sari = Chat(bot, user="sari")
    await sari.onboard()
    assert rows((await web.client.get(joined)).text)[1:3] == [["Bergabung", "1"],
                                                              ["Profil lengkap", "1"]]
    budi = Chat(bot, user="budi")
    await budi.send("/start")
    assert rows((await web.client.get(joined)).text)[1:3] == [["Bergabung", "2"],
                                                              ["Profil lengkap", "1"]]
    assert "Angka dihitung" not in (await web.client.get("/cohorts")).text


async def test_faq_gaps_are_regrouped_in_the_background_every_half_minute(
        bot: CoachBot, coach: Chat, clock: FixedClock) -> None:
    """Grouping questions by similarity is Python work: many coaches on the FAQ page make it
    run once per half minute, and the page says when it ran."""
    dashboard = Dashboard(bot, secret="s")
    transport = httpx.ASGITransport(app=dashboard.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
        web = Web(client, bot)
        await web.sign_in(coach)
        sari = Chat(bot, user="sari")
        await sari.onboard()
        await sari.send("/menu")
        await sari.send("bisakah saya menjual ke luar negeri lewat kapal laut")
        gaps = "/faq?csv=faq_gaps"
        assert len(rows((await client.get(gaps)).text)) == 2
        await sari.send("/menu")
        await sari.send("apakah ada pelatihan fotografi produk untuk toko online")
        clock.advance(seconds=30)
        assert len(rows((await client.get(gaps)).text)) == 2  # still fresh
        clock.advance(seconds=1)
        assert len(rows((await client.get(gaps)).text)) == 2  # stale: regrouping begins
        await dashboard.figures.settle()
        assert len(rows((await client.get(gaps)).text)) == 3
        assert "Angka dihitung" in (await client.get("/faq")).text


async def test_approved_missions_count_in_the_funnel(bot: CoachBot) -> None:
    await batch_one(bot)
    async with bot.db.transaction() as s:
        ids = dict((await s.execute(select(Partner.external_id, Partner.id))).all())
        for who, status in (("sari", "approved"), ("sari", "approved"), ("budi", "waiting"),
                            ("dodi", "approved")):
            s.add(MissionSubmission(partner_id=ids[who], mission_id="first-post", status=status,
                                    kind="text", text="proof", created_at=bot.clock.now()))
    async with bot.db.transaction() as s:
        fig = Figures(s)
        groups = await fig.cohorts()
        everyone = await fig.funnel(None, groups, await fig.pass_rates(None))
        batch1 = await fig.funnel("batch1", groups, await fig.pass_rates("batch1"))
    assert everyone.missions == {"first-post": 2}  # Sari once (two approvals), Dodi
    assert batch1.missions == {"first-post": 1}
