"""A partner on WhatsApp: the webhook Meta calls, and the first session, end to end."""

from __future__ import annotations

import aiohttp
import pytest

from bot.channels.whatsapp.runner import WhatsAppRunner
from tests.fakes.graph_api import VERIFY_TOKEN, FakeGraphAPI, Sent

pytestmark = pytest.mark.e2e


def texts(messages: list[Sent]) -> str:
    return "\n".join(m.text for m in messages)


async def test_meta_verifies_the_webhook_with_the_verify_token(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    assert graph.webhook
    async with aiohttp.ClientSession() as http:
        query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                 "hub.challenge": "1158201444"}
        async with http.get(graph.webhook, params=query) as ok:
            assert (ok.status, await ok.text()) == (200, "1158201444")
        async with http.get(graph.webhook, params={**query, "hub.verify_token": "guess"}) as no:
            assert no.status == 403


async def test_a_post_without_a_valid_signature_is_refused_and_not_read(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    message = {"contacts": [{"profile": {"name": "Eve"}, "wa_id": "6281200000666"}],
               "messages": [{"from": "6281200000666", "id": "wamid.forged", "timestamp": "1",
                             "type": "text", "text": {"body": "/start"}}]}
    graph.last_inbound["6281200000666"] = graph.now()
    assert await graph.post(message, signature="sha256=" + "0" * 64) == 401
    assert await graph.post(message, signature="") == 401
    assert graph.sent == [], "nothing was processed"


async def test_partner_starts_onboards_and_works_through_the_first_module(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    sari = graph.user("6281200000001", "Sari")

    hello = await sari.say("/start")
    assert "Hi! I'm your digital coach." in texts(hello) or "Halo!" in texts(hello)
    language = await sari.tap(hello, "English")
    assert "What should I call you" in texts(language)

    background = await sari.say("Sari")
    timezone = await sari.tap(background, "🎓")
    first_rating = await sari.tap(timezone, "WITA")
    assert "1/2" in texts(first_rating)
    second_rating = await sari.tap(first_rating, "2")
    menu = await sari.tap(second_rating, "3")
    assert "Your modules" in texts(menu)

    step1 = await sari.tap(menu, "Program basics")
    assert "step 1/3" in texts(step1)
    step2 = await sari.tap(step1, "Next")
    assert "Why did you join" in texts(step2)
    check = await sari.say("I want extra income for my studies")
    assert "Thank you for sharing" in texts(check) and "step 3/3" in texts(check)
    wrong = await sari.tap(check, "Follower count")
    assert "Not quite" in texts(wrong)
    again = await sari.tap(wrong, "Try again")
    right = await sari.tap(again, "Completed bookings")
    assert "right" in texts(right).lower()

    assert graph.refused == [], "WhatsApp accepted every message the bot sent"
    # the Markdown subset reached WhatsApp in its own formatting: no HTML, no stray tags
    assert not any("<b>" in m.text for m in sari.received())


async def test_a_message_delivered_twice_is_answered_once(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    budi = graph.user("6281200000002", "Budi")
    assert await budi.send("text", {"body": "/start"}, message_id="wamid.same") == 200
    answered = len(budi.received())
    assert answered > 0
    assert await budi.send("text", {"body": "/start"}, message_id="wamid.same") == 200
    assert len(budi.received()) == answered


async def test_a_location_gets_a_kind_word_once_even_when_delivered_twice(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    ani = graph.user("6281200000003", "Ani")
    for _ in range(2):
        assert await ani.send("location", {"latitude": -6.2, "longitude": 106.8},
                              message_id="wamid.loc") == 200
    (answer,) = ani.received()
    assert "lokasi" in answer.text


async def test_a_picture_a_partner_sends_can_be_fetched_through_the_media_api(
        whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    graph.media_files["MEDIA7"] = (b"\x89PNG fake", "image/png")
    assert await whatsapp.client.media("MEDIA7") == (b"\x89PNG fake", "image/png")
