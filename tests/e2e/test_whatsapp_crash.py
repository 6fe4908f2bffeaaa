"""A dispatcher killed mid-batch on WhatsApp: the Cloud API has no idempotency key, so the
rows in flight are not simply sent again. Each send carries its outbox row id
(`biz_opaque_callback_data`), WhatsApp's `sent` report echoes it and settles the row; a
restarted dispatcher leaves in-flight rows alone for a grace period and resends only those
no report settled."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.channels.whatsapp.runner import WhatsAppRunner
from bot.core import FixedClock, Reply, SendResult, reply_from_dict
from bot.storage.models import OutboxMessage, OutboxStatus
from scheduler.dispatcher import Dispatcher, TickStats
from scheduler.outbox import Item, Outbox, payload_of
from tests.fakes.graph_api import FakeGraphAPI

pytestmark = pytest.mark.e2e

LEASE, GRACE = 120.0, 60.0
PARTNERS = [f"62812000010{i:02d}" for i in range(10)]


async def _queue(bot: CoachBot, graph: FakeGraphAPI) -> None:
    now = bot.clock.now()
    for wa in PARTNERS:
        graph.last_inbound[wa] = now
        await graph.user(wa).say("halo")  # opens the window (and makes the partner)
    async with bot.db.transaction() as s:
        await Outbox(s).add_many([Item("whatsapp", wa, "broadcast",
                                       payload_of(Reply("Webinar malam ini 19:00!")), now,
                                       f"bc:1:{wa}") for wa in PARTNERS], now)


def _dispatcher(bot: CoachBot, runner: WhatsAppRunner) -> Dispatcher:
    return Dispatcher(bot.db, {"whatsapp": runner.channel}, bot.clock, rate=None,
                      chat_interval=0, lease=LEASE)


async def _rows(bot: CoachBot) -> dict[str, OutboxMessage]:
    async with bot.db.transaction() as s:
        return {r.chat_id: r for r in (await s.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "broadcast"))).scalars()}


def _broadcasts(graph: FakeGraphAPI) -> Counter[str]:
    return Counter(s.to for s in graph.sent if "Webinar" in s.text)


async def test_rows_in_flight_at_a_crash_are_settled_by_the_sent_report_not_resent(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI,
        clock: FixedClock) -> None:
    whatsapp.channel.confirm_grace = GRACE
    await _queue(bot, graph)
    # a worker claims the batch, WhatsApp accepts half of it, and the worker dies before
    # recording anything
    dead = _dispatcher(bot, whatsapp)
    claimed = await dead._claim(clock.now(), TickStats())
    assert len(claimed) == len(PARTNERS)
    accepted = claimed[:5]
    for r in accepted:
        assert (await whatsapp.channel.send_row(r.chat_id, reply_from_dict(r.payload), r.kind,
                                                r.id)).ok
    await graph.settled()  # WhatsApp's `sent` reports reached the webhook

    rows = await _rows(bot)
    wamids = {s.to: s.wamid for s in graph.sent if "Webinar" in s.text}
    for r in accepted:
        assert rows[r.chat_id].status == OutboxStatus.SENT.value
        assert rows[r.chat_id].message_ref == wamids[r.chat_id]
    assert all(rows[r.chat_id].status == OutboxStatus.SENDING.value for r in claimed[5:])

    # restarted past the lease but within the grace: the unsettled rows are left alone
    clock.advance(seconds=LEASE + GRACE / 2)
    await _dispatcher(bot, whatsapp).run_until_idle()
    assert sum(_broadcasts(graph).values()) == 5
    # past the grace, the rows no report settled are sent, once
    clock.advance(seconds=GRACE)
    await _dispatcher(bot, whatsapp).run_until_idle()
    await graph.settled()
    assert _broadcasts(graph) == Counter(PARTNERS), "every partner once: none lost, no duplicate"
    assert {r.status for r in (await _rows(bot)).values()} == {OutboxStatus.SENT.value}


async def test_a_late_failure_of_the_send_does_not_undo_the_sent_report(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI,
        clock: FixedClock) -> None:
    # WhatsApp accepted the message and reported it, but the worker saw an error (a timeout
    # on the answer): the row stays sent instead of going back to be sent twice
    await _queue(bot, graph)
    worker = _dispatcher(bot, whatsapp)
    [first, *_] = await worker._claim(clock.now(), TickStats())
    assert (await whatsapp.channel.send_row(first.chat_id, reply_from_dict(first.payload),
                                            first.kind, first.id)).ok
    await graph.settled()
    stats = TickStats()
    await worker._record([(first, SendResult.failed("TimeoutError: no answer"))],
                         clock.now(), stats)
    row = (await _rows(bot))[first.chat_id]
    assert (row.status, row.last_error) == (OutboxStatus.SENT.value, None)


async def test_each_send_carries_its_outbox_row_id(
        bot: CoachBot, whatsapp: WhatsAppRunner, graph: FakeGraphAPI) -> None:
    await _queue(bot, graph)
    await _dispatcher(bot, whatsapp).run_until_idle()
    rows = await _rows(bot)
    for s in graph.sent:
        if "Webinar" in s.text:
            assert s.body["biz_opaque_callback_data"] == f"outbox:{rows[s.to].id}"
    # a direct reply (no row) carries none
    assert all("biz_opaque_callback_data" not in s.body for s in graph.sent
               if "Webinar" not in s.text)
