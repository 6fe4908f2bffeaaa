"""How the bot behaves on Telegram, with each driver, polling and webhook."""

from __future__ import annotations

import copy
import logging
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import CoachBot
from bot.channels.telegram.runner import SECRET_HEADER, TelegramRunner
from bot.config import Settings
from bot.core import Button, Inbound, Reply, SendStatus, rows
from bot.storage.models import OutboxMessage, ProcessedUpdate
from bot.storage.repos import Repos
from handlers.onboarding.states import OnboardingState
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


def texts(messages: list[Json]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def partner_state(bot: CoachBot, user_id: int) -> Any:
    async with bot.db.transaction() as s:
        return await Repos(s).partners.get("telegram", str(user_id))


async def test_a_deep_link_enters_the_cohort(telegram: TelegramRunner, fake: FakeBotAPI,
                                             bot: CoachBot) -> None:
    async with bot.db.transaction() as s:
        cohort = await Repos(s).cohorts.create("Batch Mei", "example", bot.clock.now(),
                                               code="MEI24")
    dewi = fake.user("Dewi", language_code="en")

    hello = await dewi.say("/start MEI24")  # what t.me/<bot>?start=MEI24 sends

    joined = next(m for m in hello if "Batch Mei" in m["text"])
    assert joined["text"].startswith("You're now part of the Batch Mei group")
    start = joined["text"].index("Batch Mei")
    assert {"type": "bold", "offset": start, "length": len("Batch Mei")} in joined["entities"]
    partner = await partner_state(bot, dewi.id)
    assert partner is not None and partner.cohort_id == cohort.id


async def test_a_double_tap_advances_once(telegram: TelegramRunner, fake: FakeBotAPI,
                                          bot: CoachBot) -> None:
    rina = fake.user("Rina", language_code="en")
    hello = await rina.say("/start")

    first = await rina.press(hello[-1], "English")
    second = await rina.press(hello[-1], "English")  # before the bot answered the first
    await fake.wait_confirmed(first)
    await fake.wait_confirmed(second)
    answer = rina.unread()

    assert texts(answer).count("That button belongs to an earlier message") == 1
    partner = await partner_state(bot, rina.id)
    assert partner.state == OnboardingState.NAME and partner.language == "en"
    assert fake.unanswered_callbacks == []


async def test_a_button_on_an_old_message_changes_nothing(telegram: TelegramRunner,
                                                          fake: FakeBotAPI,
                                                          bot: CoachBot) -> None:
    rina = fake.user("Rina", language_code="en")
    hello = await rina.say("/start")
    seen_on_her_tablet = copy.deepcopy(hello[-1])
    await rina.tap(hello, "English")
    assert "reply_markup" not in fake.messages[rina.id][hello[-1]["message_id"]]

    stale = await rina.tap(seen_on_her_tablet, "Bahasa Indonesia")

    assert "That button belongs to an earlier message" in texts(stale)
    assert "What should I call you" in texts(stale), "she is shown where she is"
    partner = await partner_state(bot, rina.id)
    assert partner.language == "en" and partner.state == OnboardingState.NAME
    assert fake.unanswered_callbacks == []


async def test_an_update_delivered_twice_is_processed_once(telegram: TelegramRunner,
                                                           fake: FakeBotAPI) -> None:
    budi = fake.user("Budi", language_code="en")
    update_id = await budi.send("/start")
    assert await budi.settle(update_id)

    await fake.redeliver(update_id)  # as after a crash between processing and confirming
    await fake.wait_confirmed(update_id, times=2)

    assert budi.unread() == []
    assert "Hi! I'm your digital coach." not in texts(await budi.say("English"))


async def test_flood_control_and_blocked_partners_become_send_results(
        telegram: TelegramRunner, fake: FakeBotAPI) -> None:
    ani, budi, citra = fake.user("Ani"), fake.user("Budi"), fake.user("Citra")
    fake.set_limits(global_rate=30, chat_rate=1, chat_burst=1)
    channel = telegram.channel

    sent = await channel.send(str(ani.id), Reply("Halo *Ani*"))
    assert sent.status is SendStatus.OK
    assert sent.message_ref == str(fake.chat_messages(ani.id)[-1]["message_id"])
    too_soon = await channel.send(str(ani.id), Reply("Satu lagi"))
    assert too_soon.status is SendStatus.RETRY_AFTER and too_soon.retry_after >= 1

    fake.block(budi.id)
    blocked = await channel.send(str(budi.id), Reply("Halo"))
    assert blocked.status is SendStatus.BLOCKED and "blocked by the user" in blocked.reason
    fake.block(budi.id, "user is deactivated")
    assert (await channel.send(str(budi.id), Reply("Halo"))).status is SendStatus.BLOCKED

    nowhere = await channel.send("424242", Reply("Halo"))
    assert nowhere.status is SendStatus.FAILED and "chat not found" in nowhere.reason.lower()
    oversized = await channel.send(str(citra.id), Reply("Pilih", rows(Button("x", "p" * 65))))
    assert oversized.status is SendStatus.FAILED
    assert "button_data_invalid" in oversized.reason.lower()


async def test_replies_held_back_by_flood_control_go_to_the_outbox(
        bot: CoachBot, fake: FakeBotAPI, settings: Settings, driver_name: str,
        mode: str) -> None:
    fake.set_limits(chat_rate=1, chat_burst=1)
    config = telegram_settings(settings, fake, driver_name, mode, telegram_inline_retry_max=0)
    eka = fake.user("Eka", language_code="en")
    async with serving(bot, config):
        hello = await eka.say("/start")

    assert texts(hello) == "Hi! I'm your digital coach."
    async with bot.db.transaction() as s:
        rows = (await s.execute(select(OutboxMessage))).scalars().all()
    # the replies written with the turn: one sent, the held-back one handed to a deferred row
    assert sorted((r.kind, r.status) for r in rows if r.dedupe_key.startswith("r:")) == [
        ("reply", "cancelled"), ("reply", "sent")]
    held = [r for r in rows if not r.dedupe_key.startswith("r:")]
    assert [(r.chat_id, r.status) for r in held] == [(str(eka.id), "pending")]
    assert "Which language" in str(held[0].payload["text"]) or held[0].payload.get("buttons")


async def test_long_texts_are_split_on_paragraphs(telegram: TelegramRunner,
                                                  fake: FakeBotAPI) -> None:
    fajar = fake.user("Fajar")
    paragraphs = [f"Paragraf {i}: " + "kata " * 590 for i in range(3)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    result = await telegram.channel.send(str(fajar.id),
                                         Reply(text, rows(Button("Lanjut", "m1:home"))))

    sent = fake.chat_messages(fajar.id)
    assert result.status is SendStatus.OK and len(sent) == 3
    assert [m["text"] for m in sent] == [p.strip() for p in paragraphs]
    assert [("reply_markup" in m) for m in sent] == [False, False, True]
    assert result.message_ref == str(sent[-1]["message_id"])


async def test_a_name_full_of_markdown_breaks_no_message(telegram: TelegramRunner,
                                                         fake: FakeBotAPI) -> None:
    name = "*_[`\\ <b>&amp;"
    odd = fake.user(name, language_code="en")
    hello = await odd.say("/start")
    await odd.tap(hello, "English")
    background = await odd.say(name)

    assert name in texts(background)
    assert all(c.status == 200 for c in fake.calls), [
        (c.method, c.result) for c in fake.calls if c.status != 200]


@pytest.mark.parametrize("mode", ["webhook"])
async def test_webhook_requests_without_the_secret_are_refused(
        telegram: TelegramRunner, fake: FakeBotAPI, bot: CoachBot) -> None:
    mallory = fake.user("Mallory")
    forged = {"update_id": 1, "message": {
        "message_id": 1, "date": 1_700_000_000, "text": "/start",
        "chat": {"id": mallory.id, "type": "private", "first_name": "Mallory"},
        "from": mallory.data, "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
    url = f"http://127.0.0.1:{telegram.webhook_port}/tg/hook"

    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "guessed"}):
            async with http.post(url, json=forged, headers=headers) as resp:
                assert resp.status == 401

    assert fake.chat_messages(mallory.id) == []
    async with bot.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))
                ).scalar_one() == 0
    [hook] = fake.calls_to("setWebhook")
    assert hook.params["secret_token"] and hook.params["url"] == url
    assert await mallory.say("/start"), "Telegram itself, with the secret, gets through"


async def test_in_groups_only_commands_for_the_bot_are_answered(telegram: TelegramRunner,
                                                                fake: FakeBotAPI,
                                                                bot: CoachBot) -> None:
    sari = fake.user("Sari", language_code="en")
    group = fake.group("Reseller Jakarta")
    chatter = await group.send(sari, "hello everyone")
    other = await group.send(sari, "/start@other_bot")
    ours = await group.send(sari, "/start@coach_test_bot")
    for update_id in (chatter, other, ours):
        await fake.wait_confirmed(update_id)

    [pointer] = group.messages
    assert "private" in pointer["text"]
    [[button]] = pointer["reply_markup"]["inline_keyboard"]
    assert button["url"] == "https://t.me/coach_test_bot"
    assert await partner_state(bot, sari.id) is None


async def test_the_coaches_chat_reaches_the_core_with_replies_traced(
        bot: CoachBot, fake: FakeBotAPI, settings: Settings, driver_name: str,
        mode: str) -> None:
    coaches = fake.group("Coaches")
    coach = fake.user("Coach Maya", language_code="id")
    seen: list[Inbound] = []

    async def watch(msg: Inbound) -> list[Reply]:
        seen.append(msg)
        return await bot.handle(msg)

    config = telegram_settings(settings, fake, driver_name, mode,
                               coach_chat_id=str(coaches.chat_id))
    async with serving(bot, config, handle=watch) as runner:
        ticket = await runner.channel.send(str(coaches.chat_id), Reply("Tiket #7: Sari bertanya"))
        ticket_msg = coaches.messages[-1]
        answer = await coaches.send(coach, "Komisi cair tiap tanggal 25", reply_to=ticket_msg)
        await fake.wait_confirmed(answer)

    [msg] = seen
    assert msg.is_group and msg.chat_id == str(coaches.chat_id)
    assert msg.user_id == str(coach.id) and msg.text == "Komisi cair tiap tanggal 25"
    assert msg.reply_to_ref == ticket.message_ref


async def test_startup_names_driver_mode_and_api_base(bot: CoachBot, fake: FakeBotAPI,
                                                      settings: Settings, driver_name: str,
                                                      mode: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.runner")
    async with serving(bot, telegram_settings(settings, fake, driver_name, mode)):
        pass
    assert (f"telegram bot @coach_test_bot: driver={driver_name} mode={mode} "
            f"api_base={fake.base_url}") in caplog.text
