"""What a coach does from the dashboard: answer a ticket (it reaches the partner like a chat
reply), send a broadcast after seeing who gets it, announce a webinar and read its RSVPs,
and teach the FAQ a question it could not answer."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import httpx

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock, SendResult
from bot.storage.db import Database
from bot.storage.repos import Repos
from bot.web.app import create_app
from content.loader import PackLibrary
from scheduler.dispatcher import Dispatcher
from tests.broadcasts.test_broadcasts import finish_basics, take_basics_quiz
from tests.conftest import EXAMPLE_PACKS
from tests.dashboard.conftest import Web, make_coach
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import outbox
from tests.scheduler.fakes import RecordingChannel
from tests.webinars.test_webinars import rsvp


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def deliver(bot: CoachBot, clock: FixedClock) -> RecordingChannel:
    channel = RecordingChannel()
    await Dispatcher(bot.db, {"console": channel}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    return channel


async def test_the_coach_answers_a_ticket_and_the_partner_gets_it_in_chat(
        web: Web, coach: Chat, chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await chat.onboard()
    await chat.send("/coach How do I get my commission paid?")
    clock.advance(minutes=25)
    await web.sign_in(coach)
    inbox = rows((await web.client.get("/tickets?csv=tickets&lang=en")).text)
    assert inbox[1] == ["1", "Sari", "How do I get my commission paid?", "waiting", "25 min"]
    token = await web.csrf("/tickets/1")
    r = await web.client.post("/tickets/1/answer",
                              data={"csrf": token, "text": "Every Friday, to your bank."})
    assert r.status_code == 200 and "Sari" in r.text
    channel = await deliver(bot, clock)
    to_sari = channel.texts("sari")
    assert len(to_sari) == 1 and "Every Friday, to your bank." in to_sari[0]
    assert "Rina" in to_sari[0]  # signed by the coach, as a reply in chat is
    thread = rows((await web.client.get("/tickets/1?csv=thread")).text)
    assert [m[1:] for m in thread[1:]] == [["Sari", "How do I get my commission paid?"],
                                           ["Rina", "Every Friday, to your bank."]]
    inbox = rows((await web.client.get("/tickets?csv=tickets&lang=en")).text)
    assert inbox[1][3] == "answered"
    answer = next(reply for to, reply in channel.sent if to == "sari")
    solved = chat.button("solved", [answer])
    await chat.press_payload(solved.payload)  # the partner's side works as in chat
    assert rows((await web.client.get("/tickets?csv=tickets")).text)[1:] == []


async def test_closing_a_ticket_from_the_page_tells_the_partner(
        web: Web, coach: Chat, chat: Chat, bot: CoachBot, clock: FixedClock) -> None:
    await chat.onboard()
    await chat.send("/coach help")
    await web.sign_in(coach)
    token = await web.csrf("/tickets/1")
    assert (await web.client.post("/tickets/1/close", data={"csrf": token})).status_code == 200
    assert any("#1" in t for t in (await deliver(bot, clock)).texts("sari"))
    assert (await web.client.get("/tickets/1")).status_code == 200
    assert "Kirim jawaban" not in (await web.client.get("/tickets/1")).text
    assert (await web.client.get("/tickets/99")).status_code == 404


async def test_an_empty_answer_sends_nothing(web: Web, coach: Chat, chat: Chat,
                                             bot: CoachBot) -> None:
    await chat.onboard()
    await chat.send("/coach help")
    await web.sign_in(coach)
    token = await web.csrf("/tickets/1")
    r = await web.client.post("/tickets/1/answer", data={"csrf": token, "text": "  "})
    assert r.status_code == 303
    assert await outbox(bot.db, "ticket:1:answer") == []


async def test_a_broadcast_is_previewed_confirmed_sent_and_reported(
        web: Web, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    sari, budi = Chat(bot, user="sari"), Chat(bot, user="budi")
    await sari.onboard(name="Sari")
    await budi.onboard(name="Budi")
    await web.sign_in(coach)
    token = await web.csrf("/broadcasts")
    preview = await web.client.post("/broadcasts/preview?lang=en", data={
        "csrf": token, "segment": "all", "text": "Webinar tonight at 19:00!"})
    assert preview.status_code == 200
    assert "This message goes to 2 partners" in preview.text
    assert await outbox(bot.db, "bc:") == []  # nothing leaves before the confirmation
    sent = await web.client.post("/broadcasts/send", data={
        "csrf": token, "segment": "all", "text": "Webinar tonight at 19:00!"})
    assert sent.status_code == 303
    page = await web.client.get(sent.headers["location"] + "?lang=en")
    assert "0 of 2 processed" in page.text
    assert 'http-equiv="refresh"' in page.text  # follows the sending live
    channel = RecordingChannel()
    channel.answer("budi", SendResult.blocked())
    await Dispatcher(bot.db, {"console": channel}, clock, rate=None,
                     chat_interval=0).run_until_idle()
    assert channel.texts() == ["Webinar tonight at 19:00!"]
    page = await web.client.get(sent.headers["location"])
    assert "2 of 2 processed (100%)" in page.text
    assert 'http-equiv="refresh"' not in page.text
    report = rows((await web.client.get(sent.headers["location"] + "?csv=delivery")).text)
    assert report[1:3] == [["sent", "1"], ["blocked the bot", "1"]]
    listing = rows((await web.client.get("/broadcasts?csv=broadcasts")).text)
    assert listing[1][1:3] == ["all", "Webinar tonight at 19:00!"]


async def test_a_broadcast_to_nobody_or_a_wrong_segment_is_explained(
        web: Web, coach: Chat, chat: Chat) -> None:
    await chat.onboard()
    await web.sign_in(coach)
    token = await web.csrf("/broadcasts")
    r = await web.client.post("/broadcasts/preview", data={
        "csrf": token, "segment": "cohort:nope", "text": "hi"})
    assert r.status_code == 200 and "no cohort with code &#39;nope&#39;" in r.text
    r = await web.client.post("/broadcasts/preview", data={
        "csrf": token, "segment": "finished:basics", "text": "hi"})
    assert "role=\"alert\"" in r.text
    r = await web.client.post("/broadcasts/preview", data={
        "csrf": token, "segment": "all", "text": "   "})
    assert "role=\"alert\"" in r.text
    r = await web.client.post("/broadcasts/preview", data={
        "csrf": token, "segment": "all", "text": "hi", "send_at": "tomorrow-ish"})
    assert "2026-12-24 19:00" in r.text


async def test_a_broadcast_can_be_stopped_from_its_page(web: Web, coach: Chat, chat: Chat,
                                                        bot: CoachBot) -> None:
    await chat.onboard()
    await web.sign_in(coach)
    token = await web.csrf("/broadcasts")
    sent = await web.client.post("/broadcasts/send", data={
        "csrf": token, "segment": "all", "text": "Later", "send_at": "2026-11-20 19:00"})
    where = sent.headers["location"]
    r = await web.client.post(where + "/cancel", data={"csrf": token})
    assert r.status_code == 303
    report = rows((await web.client.get(where + "?csv=delivery&lang=en")).text)
    assert ["cancelled", "1"] in report


async def test_a_webinar_is_announced_after_its_preview_and_lists_its_rsvps(
        web: Web, coach: Chat, bot: CoachBot, database: Database) -> None:
    sari, budi = Chat(bot, user="sari"), Chat(bot, user="budi")
    await sari.onboard(name="Sari")
    await budi.onboard(name="Budi")
    await web.sign_in(coach)
    token = await web.csrf("/webinars")
    form = {"csrf": token, "title": "Live selling 101", "at": "2026-11-20 19:00",
            "link": "https://meet.example.org/abc", "audience": "all", "description": ""}
    preview = await web.client.post("/webinars/preview?lang=en", data=form)
    assert "goes to 2 partners" in preview.text
    assert await outbox(database, "wa:") == []
    made = await web.client.post("/webinars/create", data=form)
    assert made.status_code == 303
    await rsvp(sari, database, "yes")
    await rsvp(budi, database, "no")
    listing = rows((await web.client.get("/webinars?csv=webinars")).text)
    assert listing[1][1] == "Live selling 101" and listing[1][4:] == ["1", "1"]
    await deliver(bot, bot.clock)  # type: ignore[arg-type]
    invited = rows((await web.client.get(made.headers["location"] + "?csv=invitations")).text)
    assert invited[1][1] == "2"  # both invitations sent
    answers = rows((await web.client.get(made.headers["location"] + "?csv=rsvps&lang=en")).text)
    assert [(a[0], a[1]) for a in answers[1:]] == [("Sari", "Coming"), ("Budi", "Can't come")]


async def test_a_webinar_in_the_past_is_refused_kindly(web: Web, coach: Chat,
                                                       chat: Chat) -> None:
    await chat.onboard()
    await web.sign_in(coach)
    token = await web.csrf("/webinars")
    r = await web.client.post("/webinars/create", data={
        "csrf": token, "title": "Old", "at": "2020-01-01 10:00",
        "link": "https://meet.example.org/x", "audience": "all"})
    assert r.status_code == 200 and 'role="alert"' in r.text


async def test_a_question_the_faq_missed_is_taught_from_the_gaps_page(
        tmp_path: Path, database: Database, clock: FixedClock) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(EXAMPLE_PACKS, packs)
    settings = Settings(_env_file=None, packs_dir=packs,  # type: ignore[call-arg]
                        default_pack="example")
    bot = CoachBot(database, PackLibrary.load([packs / "example"]), settings, clock=clock)
    partner = Chat(bot, user="sari")
    await partner.onboard()
    await partner.send("/menu")
    await partner.send("bisakah saya menjual ke luar negeri lewat kapal laut")
    coach = await make_coach(bot)
    transport = httpx.ASGITransport(app=create_app(bot, secret="s"))
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
        web = Web(client, bot)
        await web.sign_in(coach)
        gaps = rows((await client.get("/faq?csv=faq_gaps")).text)
        assert gaps[1][:2] == ["1", "bisakah saya menjual ke luar negeri lewat kapal laut"]
        page = await client.get("/faq")
        entry = re.search(r'<option value="([^"]+)"', page.text)
        assert entry
        token = await web.csrf("/faq")
        r = await client.post("/faq/teach", data={
            "csrf": token, "entry": entry.group(1), "question": gaps[1][1]})
        assert r.status_code == 303
        taught = (packs / "example" / "faq_asked.yaml").read_text(encoding="utf-8")
        assert "kapal laut" in taught and entry.group(1) in taught
        r = await client.post("/faq/teach", data={"csrf": token, "entry": "no-such",
                                                  "question": "x"})
        assert r.status_code == 400


async def test_a_gap_becomes_a_new_faq_entry_and_a_broken_one_is_refused(
        tmp_path: Path, database: Database, clock: FixedClock) -> None:
    packs = tmp_path / "packs"
    shutil.copytree(EXAMPLE_PACKS, packs)
    settings = Settings(_env_file=None, packs_dir=packs,  # type: ignore[call-arg]
                        default_pack="example")
    bot = CoachBot(database, PackLibrary.load([packs / "example"]), settings, clock=clock)
    coach = await make_coach(bot)
    transport = httpx.ASGITransport(app=create_app(bot, secret="s"))
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
        web = Web(client, bot)
        await web.sign_in(coach)
        token = await web.csrf("/faq")
        entry = {"csrf": token, "entry_id": "shipping-abroad",
                 "question_id": "bisa kirim ke luar negeri?", "question_en": "can I ship abroad?",
                 "answer_id": "Belum bisa, hanya dalam negeri.",
                 "answer_en": "Not yet, only within the country."}
        r = await client.post("/faq/entry", data=entry)
        assert r.status_code == 303
        reloaded = PackLibrary.load([packs / "example"]).packs["example"]
        added = next(e for e in reloaded.faq if e.id == "shipping-abroad")
        assert added.answer.en == "Not yet, only within the country."
        assert "forgot-password" in {e.id for e in reloaded.faq}  # the others stay
        before = (packs / "example" / "faq.yaml").read_text(encoding="utf-8")
        r = await client.post("/faq/entry", data=entry)  # the same id again
        assert r.status_code == 200 and "shipping-abroad" in r.text
        r = await client.post("/faq/entry", data={**entry, "entry_id": "other", "answer_en": ""})
        assert r.status_code == 200
        assert (packs / "example" / "faq.yaml").read_text(encoding="utf-8") == before


async def test_the_partner_page_shows_the_chat_profile_and_writes_to_them(
        web: Web, coach: Chat, bot: CoachBot, clock: FixedClock) -> None:
    sari = Chat(bot, user="sari")
    await sari.onboard(name="Sari", ratings=2)
    await finish_basics(sari)
    await take_basics_quiz(sari, good=False)
    await web.sign_in(coach)
    partner_id = await _id_of(bot, "sari")
    page = await web.client.get(f"/partners/{partner_id}?lang=en")
    assert page.status_code == 200
    assert "Sari" in page.text and "1/2 modules done" in page.text
    attempts = rows((await web.client.get(f"/partners/{partner_id}?csv=quizzes")).text)
    assert attempts[1][:3] == ["Program basics", "0/2", "not yet"]
    reflections = rows((await web.client.get(f"/partners/{partner_id}?csv=reflections")).text)
    assert reflections[1][2] == "Extra income"
    ratings = rows((await web.client.get(f"/partners/{partner_id}?csv=ratings")).text)
    assert [r[1] for r in ratings[1:]] == ["2", "2"]

    token = await web.csrf(f"/partners/{partner_id}")
    r = await web.client.post(f"/partners/{partner_id}/message",
                              data={"csrf": token,
                                    "text": "Semangat, Sari! Coba kuisnya lagi ya."})
    assert r.status_code == 200
    sent = (await deliver(bot, clock)).texts("sari")
    assert any("Coba kuisnya lagi" in text and "Rina" in text for text in sent)

    r = await web.client.post(f"/partners/{partner_id}/ticket", data={"csrf": token})
    assert r.status_code == 200 and "#1" in r.text
    inbox = rows((await web.client.get("/tickets?csv=tickets")).text)
    assert inbox[1][1] == "Sari"
    assert (await web.client.get("/partners/9999")).status_code == 404


async def _id_of(bot: CoachBot, user: str) -> int:
    async with bot.db.transaction() as s:
        rec = await Repos(s).partners.get("console", user)
    assert rec is not None
    return rec.id
