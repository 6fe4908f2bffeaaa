"""What the people running the bot see at /metrics and in JSON logs after partners write."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

from bot.app import CoachBot
from bot.core import FixedClock, Inbound, Reply, SendResult
from bot.ops import metrics
from bot.ops.http import Ops
from bot.ops.logs import json_handler
from bot.storage.db import Database
from scheduler.outbox import Outbox


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_message_and_its_redelivery_count_once_handled_once_duplicate(
        bot: CoachBot) -> None:
    before = (value("coachbot_updates_total", channel="console", outcome="handled"),
              value("coachbot_updates_total", channel="console", outcome="duplicate"),
              value("coachbot_handler_seconds_count", channel="console"))
    msg = Inbound.from_text("console", "sari", "/start", update_id="m-1")
    assert await bot.handle(msg)
    assert await bot.handle(msg) == []
    after = (value("coachbot_updates_total", channel="console", outcome="handled"),
             value("coachbot_updates_total", channel="console", outcome="duplicate"),
             value("coachbot_handler_seconds_count", channel="console"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 2]


class Platform:
    name = "console"

    def __init__(self, *results: SendResult):
        self.results = list(results)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        return self.results.pop(0)


async def test_sends_are_counted_by_result_and_429s_apart() -> None:
    channel = metrics.MeteredChannel(Platform(SendResult.ok(), SendResult.retry(3),
                                              SendResult.blocked()))
    labels = {"channel": "console", "path": "outbox"}
    before = [value("coachbot_sends_total", **labels, result=r)
              for r in ("ok", "retry_after", "blocked")]
    limited = value("coachbot_rate_limited_total", channel="console")
    for _ in range(3):
        await channel.send("c1", Reply("halo"))
    after = [value("coachbot_sends_total", **labels, result=r)
             for r in ("ok", "retry_after", "blocked")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    assert value("coachbot_rate_limited_total", channel="console") - limited == 1


async def test_the_backlog_by_kind_is_read_from_the_database_at_each_scrape(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    async with database.transaction() as s:
        outbox = Outbox(s)
        for i in range(3):
            await outbox.add(channel="console", chat_id=f"c{i}", kind="broadcast",
                             reply=Reply("Webinar besok"), due_at=clock.now(),
                             dedupe_key=f"bc:{i}", now=clock.now())
        await outbox.add(channel="console", chat_id="c9", kind="nudge", reply=Reply("Yuk"),
                         due_at=clock.now() + timedelta(hours=1), dedupe_key="n:9",
                         now=clock.now())
    page = (await Ops(bot).metrics(None)).body  # type: ignore[arg-type]
    assert isinstance(page, bytes)
    text = page.decode()
    assert 'coachbot_outbox_backlog{kind="broadcast"} 3.0' in text
    assert 'coachbot_outbox_backlog{kind="nudge"} 1.0' in text
    assert "coachbot_open_tickets 0.0" in text


async def test_ready_when_the_database_is_at_head_and_the_packs_are_loaded(
        bot: CoachBot) -> None:
    ops = Ops(bot)
    assert await ops.checks() == {"packs": "ok", "database": "ok", "migrations": "ok"}
    ops.draining.set()
    assert (await ops.checks())["serving"] == "shutting down"


async def test_json_logs_name_the_partner_and_never_carry_what_they_wrote(
        bot: CoachBot) -> None:
    out = io.StringIO()
    handler = json_handler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.INFO)
    try:
        msg = Inbound.from_text("console", "sari", "/start", update_id="j-1")
        await bot.handle(msg)
        await bot.handle(Inbound.from_text("console", "sari", "rahasia pribadi saya",
                                           update_id="j-2"))
        await bot.handle(msg)  # a redelivery: logged with its update id
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines and "rahasia" not in out.getvalue()
    duplicate = [line for line in lines if "duplicate update" in line["msg"]]
    assert duplicate and duplicate[0]["partner"] == "console:sari"
    assert duplicate[0]["update_id"] == "j-1"
