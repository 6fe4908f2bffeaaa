"""The fake Bot API is as strict as Telegram where bots notice (raw HTTP, no library)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fakes import FakeBotAPI
from tests.fakes.bot_api import SECRET_HEADER
from tests.fakes.telegram_text import EntityParseError, parse_html, parse_markdown_v2

pytestmark = pytest.mark.e2e

Json = dict[str, Any]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http: aiohttp.ClientSession, fake: FakeBotAPI, method: str,
               token: str | None = None, **params: Any) -> tuple[int, Json]:
    form = {k: (json.dumps(v) if isinstance(v, (dict, list)) else str(v))
            for k, v in params.items()}
    async with http.post(f"{fake.base_url}/bot{token or fake.token}/{method}",
                         data=form) as resp:
        return resp.status, await resp.json()


async def test_get_me_and_a_wrong_token(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    status, me = await call(http, fake, "getMe")
    assert status == 200 and me["result"]["is_bot"] is True
    assert me["result"]["username"] == "coach_test_bot"
    status, refused = await call(http, fake, "getMe", token="1:wrong")
    assert (status, refused["error_code"], refused["description"]) == (401, 401, "Unauthorized")


async def test_get_updates_redelivers_until_an_offset_confirms(
        fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    sari = fake.user("Sari")
    first, second = await sari.send("halo"), await sari.send("/start")

    _, one = await call(http, fake, "getUpdates", limit=1)
    assert [u["update_id"] for u in one["result"]] == [first]
    _, both = await call(http, fake, "getUpdates")
    assert [u["update_id"] for u in both["result"]] == [first, second]
    message = both["result"][1]["message"]
    assert isinstance(message["date"], int) and message["date"] < 10**10  # seconds
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    _, rest = await call(http, fake, "getUpdates", offset=second)
    assert [u["update_id"] for u in rest["result"]] == [second]
    assert fake.confirmed[first] == 1 and fake.confirmed[second] == 0


async def test_get_updates_long_polls(fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    sari = fake.user("Sari")
    _, empty = await call(http, fake, "getUpdates", timeout=0)
    assert empty["result"] == []
    waiting = asyncio.create_task(call(http, fake, "getUpdates", timeout=30))
    await fake.wait_until(lambda: bool(fake._poll_no), what="the poll to arrive")
    assert not waiting.done()
    update_id = await sari.send("halo")
    _, got = await asyncio.wait_for(waiting, 5)  # well before its 30 s
    assert [u["update_id"] for u in got["result"]] == [update_id]


async def test_sending_is_checked_like_telegram(fake: FakeBotAPI,
                                                http: aiohttp.ClientSession) -> None:
    sari, budi = fake.user("Sari"), fake.user("Budi")
    fake.set_limits(chat_rate=1, chat_burst=1)

    status, too_long = await call(http, fake, "sendMessage", chat_id=sari.id, text="a" * 4097)
    assert (status, too_long["description"]) == (400, "Bad Request: message is too long")
    keyboard = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    status, bad_data = await call(http, fake, "sendMessage", chat_id=sari.id, text="hi",
                                  reply_markup=keyboard)
    assert (status, bad_data["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    status, bad_html = await call(http, fake, "sendMessage", chat_id=sari.id,
                                  text="<b>x", parse_mode="HTML")
    assert status == 400 and "can't parse entities" in bad_html["description"]

    status, sent = await call(http, fake, "sendMessage", chat_id=sari.id,
                              text="<b>Halo</b> &amp; selamat", parse_mode="HTML")
    assert status == 200 and sent["result"]["text"] == "Halo & selamat"
    assert sent["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    status, flood = await call(http, fake, "sendMessage", chat_id=sari.id, text="lagi")
    assert status == 429 and flood["parameters"]["retry_after"] >= 1

    fake.block(budi.id)
    status, blocked = await call(http, fake, "sendMessage", chat_id=budi.id, text="hi")
    assert (status, blocked["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_edits_and_callback_answers_return_what_telegram_returns(
        fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    sari = fake.user("Sari")
    keyboard = {"inline_keyboard": [[{"text": "Lanjut", "callback_data": "m1:next"}]]}
    _, sent = await call(http, fake, "sendMessage", chat_id=sari.id, text="Langkah 1",
                         reply_markup=keyboard)
    message_id = sent["result"]["message_id"]
    update_id = await sari.press(sent["result"], "Lanjut")
    query = fake.updates[update_id]["callback_query"]
    assert query["chat_instance"] and query["data"] == "m1:next"

    _, edited = await call(http, fake, "editMessageText", chat_id=sari.id,
                           message_id=message_id, text="Langkah 2")
    assert edited["result"]["text"] == "Langkah 2" and "edit_date" in edited["result"]
    assert "reply_markup" not in edited["result"]
    status, same = await call(http, fake, "editMessageText", chat_id=sari.id,
                              message_id=message_id, text="Langkah 2")
    assert status == 400 and "message is not modified" in same["description"]
    assert await call(http, fake, "answerCallbackQuery",
                      callback_query_id=query["id"]) == (200, {"ok": True, "result": True})
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400


async def test_webhooks_carry_the_secret_and_are_retried_until_200(
        fake: FakeBotAPI, http: aiohttp.ClientSession) -> None:
    received: list[tuple[str | None, int]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER),
                         (await request.json())["update_id"]))
        return web.Response(status=500 if len(received) == 1 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert (await call(http, fake, "setWebhook", url=url, secret_token="s3cret"))[0] == 200
        status, conflict = await call(http, fake, "getUpdates")
        assert status == 409 and "webhook is active" in conflict["description"]
        update_id = await fake.user("Sari").send("halo")
        await fake.wait_confirmed(update_id)
    finally:
        await runner.cleanup()
    assert received == [("s3cret", update_id), ("s3cret", update_id)]


def test_entity_parsers_refuse_what_telegram_refuses() -> None:
    assert parse_html("<b>a <i>b</i></b> &lt;3") == (
        "a b <3", [{"type": "bold", "offset": 0, "length": 3},
                   {"type": "italic", "offset": 2, "length": 1}])
    for bad in ("<b>a", "a</b>", "<x>a</x>", "a & b", "<b><i>a</b></i>", "1 > 0"):
        with pytest.raises(EntityParseError):
            parse_html(bad)
    assert parse_markdown_v2(r"*tebal* 1\.5 \*") == (
        "tebal 1.5 *", [{"type": "bold", "offset": 0, "length": 5}])
    for bad in ("1.5", "*a", "a_b"):
        with pytest.raises(EntityParseError):
            parse_markdown_v2(bad)
