"""The 24-hour window on WhatsApp: what the bot sends on its own after a partner has been
quiet for a day goes as an approved template, or waits for them; never as free text."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.channels.whatsapp.store import WhatsAppStore
from bot.core import Button, FixedClock, Reply, rows
from bot.storage.models import OutboxStatus
from bot.storage.repos import Repos
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import Outbox
from tests.fakes.graph_api import FakeGraphAPI, FakeUser

pytestmark = pytest.mark.e2e


async def queue(bot: CoachBot, user: FakeUser, kind: str, text: str, key: str) -> None:
    """A message the bot sends on its own, written as a feature writes it: an outbox row."""
    async with bot.db.transaction() as s:
        found = await Repos(s).partners.get("whatsapp", user.wa_id)
        await Outbox(s).add(channel="whatsapp", chat_id=user.wa_id, kind=kind,
                            reply=Reply(f"*{text}*\nBesok jam 10.",
                                        rows(Button("Daftar", "wb:1"))),
                            due_at=bot.clock.now(), dedupe_key=key, now=bot.clock.now(),
                            partner_id=found.id if found else None)


def dispatcher(bot: CoachBot, runner: WhatsAppRunner) -> Dispatcher:
    return Dispatcher(bot.db, {"whatsapp": runner.channel}, bot.clock, rate=None,
                      chat_interval=0)


async def row_of(bot: CoachBot, key: str) -> tuple[str, str | None, str | None]:
    async with bot.db.transaction() as s:
        row = await Outbox(s).by_key(key)
    assert row is not None
    return row.status, row.last_error, row.message_ref


async def test_inside_the_window_a_reminder_goes_as_written(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    sari = graph.user("6281200000011", "Sari")
    await sari.say("/start")
    clock.advance(hours=20)
    await queue(bot, sari, "reminder", "Webinar promosi", "wr:1:sari")
    await dispatcher(bot, whatsapp).run_until_idle()

    last = sari.received()[-1]
    assert last.type == "interactive" and "*Webinar promosi*" in last.text
    assert (await row_of(bot, "wr:1:sari"))[0] == OutboxStatus.SENT


async def test_a_webinar_reminder_after_a_quiet_day_goes_as_the_packs_template(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    graph.approve("webinar_reminder", "id", parameters=2)
    sari = graph.user("6281200000012", "Sari")
    await sari.say("/start")
    await sari.say("Sari")  # the name she gives is what the template greets
    clock.advance(hours=30)
    await queue(bot, sari, "reminder", "Webinar promosi", "wr:1:sari")
    await dispatcher(bot, whatsapp).run_until_idle()

    last = sari.received()[-1]
    assert last.type == "template"
    assert last.body["template"]["name"] == "webinar_reminder"
    params = [p["text"] for p in last.body["template"]["components"][0]["parameters"]]
    assert params[1] == "*Webinar promosi* Besok jam 10."
    status, _, wamid = await row_of(bot, "wr:1:sari")
    assert status == OutboxStatus.SENT and wamid == last.wamid
    assert graph.refused == []


async def test_without_a_template_a_nudge_waits_for_the_partners_next_message(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    budi = graph.user("6281200000013", "Budi")
    await budi.say("/start")
    sent_before = len(budi.received())
    clock.advance(days=2)
    await queue(bot, budi, "broadcast", "Promo akhir bulan", "bc:7:budi")
    stats = await dispatcher(bot, whatsapp).run_until_idle()

    assert stats.waiting == 1 and len(budi.received()) == sent_before, "nothing free-form"
    assert graph.refused == [], "the bot never even tried outside the window"
    status, why, _ = await row_of(bot, "bc:7:budi")
    assert status == OutboxStatus.PENDING and why and why.startswith("waiting")

    await budi.say("halo lagi")  # the window opens again
    await dispatcher(bot, whatsapp).run_until_idle()
    assert "Promo akhir bulan" in budi.received()[-1].text
    assert (await row_of(bot, "bc:7:budi"))[0] == OutboxStatus.SENT


async def test_whatsapps_own_window_refusal_moves_the_message_to_the_template_path(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    graph.approve("webinar_reminder", "id", parameters=2)
    sari = graph.user("6281200000014", "Sari")
    await sari.say("/start")
    await queue(bot, sari, "reminder", "Webinar promosi", "wr:2:sari")
    graph.fail_next.append(131047)  # WhatsApp counts the window differently from us
    await dispatcher(bot, whatsapp).run_until_idle()
    assert sari.received()[-1].type == "template"


async def test_delivery_statuses_are_recorded_against_the_outbox_row(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    sari = graph.user("6281200000015", "Sari")
    await sari.say("/start")
    await queue(bot, sari, "reminder", "Webinar promosi", "wr:3:sari")
    await dispatcher(bot, whatsapp).run_until_idle()
    sent = sari.received()[-1]
    for status in ("sent", "read", "delivered"):  # a late "delivered" does not undo "read"
        assert await graph.report(sent, status) == 200
    async with bot.db.transaction() as s:
        recorded = await WhatsAppStore(s).status(sent.wamid)
        row = await Outbox(s).by_key("wr:3:sari")
    assert row is not None and recorded == ("read", None, row.id)


async def test_an_undeliverable_number_is_marked_unreachable_and_not_tried_again(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    rina = graph.user("6281200000016", "Rina")
    await rina.say("/start")
    graph.unreachable.add(rina.wa_id)
    await queue(bot, rina, "reminder", "Webinar promosi", "wr:4:rina")
    await queue(bot, rina, "broadcast", "Promo", "bc:8:rina")
    await dispatcher(bot, whatsapp).run_until_idle()
    async with bot.db.transaction() as s:
        partner = await Repos(s).partners.get("whatsapp", rina.wa_id)
    assert partner is not None and partner.blocked
    assert len(graph.refused) == 1, "one refusal, then the rest is cancelled"
    assert (await row_of(bot, "bc:8:rina"))[0] == OutboxStatus.CANCELLED


async def test_a_throughput_refusal_is_retried_after_a_pause(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    sari = graph.user("6281200000017", "Sari")
    await sari.say("/start")
    await queue(bot, sari, "reminder", "Webinar promosi", "wr:5:sari")
    graph.fail_next.extend([130429])
    d = dispatcher(bot, whatsapp)
    await d.run_until_idle()
    status, why, _ = await row_of(bot, "wr:5:sari")
    assert status == OutboxStatus.PENDING and why and "retry_after" in why
    clock.advance(seconds=2)
    await d.run_until_idle()
    assert (await row_of(bot, "wr:5:sari"))[0] == OutboxStatus.SENT
    assert "Webinar promosi" in sari.received()[-1].text


async def test_writing_first_records_consent_and_opens_the_window_from_that_moment(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    sari = graph.user("6281200000018", "Sari")
    await sari.say("/start")
    clock.advance(hours=3)
    await sari.say("halo")
    async with bot.db.transaction() as s:
        chat = await WhatsAppStore(s).view(sari.wa_id)
    assert chat.opt_in == "wrote_first" and chat.last_inbound_at == clock.now()


async def test_a_message_redelivered_days_later_is_answered_when_the_partner_writes_again(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    """Meta retries a webhook for days: the answer to a 2-day-old message may not go free-form,
    so it waits in the outbox and goes once the partner writes again."""
    old = clock.now()
    clock.advance(days=2)
    graph.last_inbound["6281200000019"] = old
    late = {"from": "6281200000019", "id": "wamid.late", "type": "text",
            "timestamp": str(int(old.timestamp())), "text": {"body": "/start"}}
    assert await graph.post({"contacts": [{"profile": {"name": "Eko"}, "wa_id": late["from"]}],
                             "messages": [late]}) == 200
    assert graph.to("6281200000019") == [] and graph.refused == [], "nothing free-form"

    eko = graph.user("6281200000019", "Eko")
    await eko.send("text", {"body": "halo?"})
    clock.advance(seconds=2)
    await dispatcher(bot, whatsapp).run_until_idle()
    said = [m.text for m in eko.received()]
    assert said.count("Halo! Aku coach digitalmu.") == 1, said  # the answer to /start, once
    assert graph.refused == []


async def test_the_pair_rate_to_one_partner_is_waited_out_and_nothing_is_lost(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI, clock: FixedClock) -> None:
    sari = graph.user("6281200000020", "Sari")
    await sari.say("/start")
    graph.pair_interval = 6.0  # WhatsApp: about one message every six seconds to one user
    await queue(bot, sari, "reminder", "Webinar satu", "wr:6:sari")
    await queue(bot, sari, "reminder", "Webinar dua", "wr:7:sari")
    d = dispatcher(bot, whatsapp)
    await d.run_until_idle()
    assert [code for _, code, _ in graph.refused] == [131056]
    assert (await row_of(bot, "wr:7:sari"))[0] == OutboxStatus.PENDING
    graph.pair_interval = None  # the fake's own clock is real time: lift the limit instead
    clock.advance(seconds=7)
    await d.run_until_idle()
    texts = [m.text for m in sari.received()]
    assert sum("Webinar satu" in t for t in texts) == 1
    assert sum("Webinar dua" in t for t in texts) == 1
