"""The missions journey on Telegram, end to end with each driver: a partner finishes the
promotion module, gets a mission, sends a link, the coach asks for a change in the coaches'
group, the partner resubmits a screenshot, the coach approves by replying; another partner
misses the deadline and gets the reminder and the check-in at her local times, and a quiz
question she missed comes back a day later; passing the final quiz brings a certificate
whose code verifies."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.missions.certify import issue_due
from handlers.missions.repo import CertificateRepo, ReviewRepo
from handlers.registry import nudge_sources
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner
from scheduler.scope import Scope
from tests.e2e.conftest import DRIVERS, serving, telegram_settings
from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import FakeUser

pytestmark = pytest.mark.e2e
Json = dict[str, Any]
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
async def fake() -> Any:
    async with FakeBotAPI(global_rate=None, chat_rate=None) as api:
        yield api


def texts(messages: list[Json]) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)


async def onboard(user: FakeUser) -> list[Json]:
    hello = await user.say("/start")
    language = await user.tap(hello, "English")
    background = await user.say(language and user.data["first_name"])
    timezone = await user.tap(background, "🎓")
    rating = await user.tap(timezone, "WITA")
    rating = await user.tap(rating, "3")
    return await user.tap(rating, "3")


async def through_promotion(user: FakeUser, *, quiz: bool = False) -> None:
    menu = await onboard(user)
    step = await user.tap(menu, "Program basics")
    step = await user.tap(step, "Next")
    step = await user.say("extra income")
    step = await user.tap(step, "Completed bookings")
    done = await user.tap(step, "Next")
    assert "You finished" in texts(done)
    if quiz:
        q = await user.tap(done, "Module quiz")
        q = await user.tap(q, "Likes")  # missed: it comes back for review
        done = await user.tap(q, "The coach")
    step = await user.tap(done, "Promotion")
    step = await user.tap(step, "Next")
    finished = await user.say("Students at my campus")
    assert "You finished" in texts(finished)


@pytest.mark.parametrize("driver_name", DRIVERS)
async def test_missions_journey_on_telegram(
        fake: FakeBotAPI, driver_name: str, database: Database, library: PackLibrary,
        settings: Settings, clock: FixedClock) -> None:
    coaches = fake.group("Coaches")
    cfg = telegram_settings(settings, fake, driver_name, "polling",
                            coach_chat_id=str(coaches.chat_id), planner_interval=3 * 3600)
    bot = CoachBot(database, library, cfg, clock=clock)
    async with serving(bot, cfg) as runner:
        planner = Planner(database, library, cfg, clock, sources=nudge_sources())
        dispatcher = Dispatcher(database, {"telegram": runner.channel}, clock, rate=None,
                                chat_interval=0, validators=[planner.validator()])

        async def scheduler(hours: int = 0, step: int = 3) -> None:
            for _ in range(0, max(hours, 1), step):
                async with database.transaction() as s:
                    await ReviewRepo(s).sync(clock.now())
                    await issue_due(Scope(Repos(s), library, cfg, clock.now()))
                await planner.run_pass()
                await dispatcher.run_until_idle()
                if hours:
                    clock.advance(hours=step)

        sari, budi, dewi = fake.user("Sari", language_code="en"), fake.user(
            "Budi", language_code="en"), fake.user("Dewi")
        await through_promotion(sari)
        await through_promotion(budi, quiz=True)

        # Sari sends a link; the coaches ask for a change; she sends a screenshot; approved
        listing = await sari.say("/missions")
        mission = await sari.tap(listing, "First video")
        prompt = await sari.tap(mission, "Send proof")
        got = await sari.say("my first video: https://video.example/v/1")
        assert "I've got your proof for First video" in texts(got)
        await scheduler()
        proof = coaches.messages[-1]
        assert "Sari (telegram:" in proof["text"] and "https://video.example/v/1" in proof["text"]
        ask = await coaches.settle(await coaches.press(dewi, proof, "Minta perubahan"))
        assert "Tulis masukan untuk Sari" in texts(ask)
        sent = await coaches.settle(await coaches.send(dewi, "Tolong tambahkan link produknya"))
        assert "terkirim ke Sari" in texts(sent)
        await scheduler()
        [change] = sari.unread()
        assert "Coach Dewi asks for a small change" in change["text"]
        sari._seen += 1
        prompt = await sari.tap(change, "Send proof")
        assert "Send your proof for First video" in texts(prompt)
        got = await sari.settle(await sari.send_photo("shot-42", "now with the basket"))
        assert "I've got your proof" in texts(got)
        await scheduler()
        photo = coaches.messages[-1]
        assert photo["photo"] and "now with the basket" in photo["caption"]
        ok = await coaches.settle(await coaches.send(dewi, "ok", reply_to=photo))
        assert "disetujui" in texts(ok)
        await scheduler()
        assert "Coach Dewi approved your mission First video" in texts(sari.unread())
        sari._seen = len(sari.messages)

        # Sari passes the final quiz: her certificate arrives, and its code verifies
        menu = await sari.say("/menu")
        q = await sari.tap(menu, "Final readiness quiz")
        q = await sari.tap(q, "Twin dates")
        await sari.tap(q, "The coach")
        await scheduler()
        [(pdf_name, pdf_data)] = fake.uploads("sendDocument")
        [(png_name, png_data)] = fake.uploads("sendPhoto")
        assert pdf_data.startswith(b"%PDF") and png_data.startswith(b"\x89PNG")
        assert pdf_name.endswith(".pdf") and png_name.endswith(".png")
        note = texts(sari.unread())
        code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", note)
        assert code and code.group(0) in pdf_name
        async with database.transaction() as s:
            cert = await CertificateRepo(s).by_code(code.group(0))
        assert cert is not None and cert.name == "Sari" and cert.revoked_at is None

        # Budi sends nothing: over nine days, the nudges at her local times
        budi._seen = len(budi.messages)
        await scheduler(hours=24 * 9)
        budi_says = texts(budi.unread())
        assert "One quick question" in budi_says and "Commission comes from?" in budi_says
        assert "First video is due soon" in budi_says and "what got in the way" in budi_says
        async with database.transaction() as s:
            rows = (await s.execute(select(OutboxMessage).where(
                OutboxMessage.chat_id == str(budi.id), OutboxMessage.kind == "nudge",
                OutboxMessage.status == "sent"))).scalars().all()
        at = {r.dedupe_key.split(":")[2]: r.due_at.astimezone(WITA).strftime("%d %H:%M")
              for r in rows}
        assert at["rev"].startswith("03 ")  # the missed question, a day after the quiz
        assert at["mrem"] == "08 10:00" and at["mchk"] == "10 10:00"
