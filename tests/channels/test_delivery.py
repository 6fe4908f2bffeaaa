"""What every channel does with a send result, through a recording adapter (no platform)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.delivery import Delivery, defer_to_outbox
from bot.core import FixedClock, Inbound, Reply, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from bot.storage.repos import Repos


@dataclass
class Sender:
    """Records every send; a chat's scripted results come first, then OK."""

    name: str = "test"
    results: dict[str, list[SendResult]] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def _result(self, op: str, chat_id: str, text: str) -> SendResult:
        self.calls.append((op, chat_id, text))
        queued = self.results.get(chat_id)
        return queued.pop(0) if queued else SendResult.ok(str(len(self.calls)))

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        return self._result("send", chat_id, reply.text)


@dataclass
class Editor(Sender):
    """A platform that can edit messages and clear their buttons."""

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        return self._result(f"edit {message_id}", chat_id, reply.text)

    async def clear_buttons(self, chat_id: str, message_id: str) -> SendResult:
        return self._result(f"clear {message_id}", chat_id, "")


@dataclass
class Deferred:
    calls: list[tuple[str, list[str], float, str]] = field(default_factory=list)

    async def __call__(self, chat_id: str, replies: list[Reply], retry_after: float,
                       key: str) -> None:
        self.calls.append((chat_id, [r.text for r in replies], retry_after, key))


TEXT = Inbound.from_text("test", "7", "halo", update_id="41")
PRESS = Inbound.button("test", "7", "m1:next", update_id="42", message_ref="100")


async def test_replies_go_in_order_to_the_sender_or_their_own_chat() -> None:
    sender = Sender()
    await Delivery(sender).deliver(TEXT, [
        Reply("one"), Reply("to the coaches", to_chat="-5"), Reply("two"),
        Reply("elsewhere", to_channel="other"), Reply("here too", to_channel="test")])
    assert sender.calls == [("send", "7", "one"), ("send", "-5", "to the coaches"),
                            ("send", "7", "two"), ("send", "7", "here too")]


async def test_a_short_flood_wait_is_waited_out_inline() -> None:
    sender, defer = Sender(results={"7": [SendResult.retry(0.0)]}), Deferred()
    await Delivery(sender, inline_retry_max=1.0, defer=defer).deliver(TEXT, [Reply("one")])
    assert sender.calls == [("send", "7", "one")] * 2 and defer.calls == []


async def test_a_long_flood_wait_hands_the_rest_of_the_turn_to_the_outbox() -> None:
    sender, defer = Sender(results={"7": [SendResult.ok(), SendResult.retry(30.0)]}), Deferred()
    delivery = Delivery(sender, inline_retry_max=2.0, defer=defer, key_prefix="tg")
    await delivery.deliver(TEXT, [Reply("one"), Reply("two"), Reply("three")])
    assert [c[2] for c in sender.calls] == ["one", "two"]
    assert defer.calls == [("7", ["two", "three"], 30.0, "tg:41:7")]


async def test_short_waits_that_keep_coming_are_deferred_after_three_sends() -> None:
    sender = Sender(results={"7": [SendResult.retry(0.0)] * 3})
    defer = Deferred()
    await Delivery(sender, defer=defer).deliver(TEXT, [Reply("one")])
    assert len(sender.calls) == 3 and defer.calls == [("7", ["one"], 0.0, "test:41:7")]


async def test_without_an_outbox_held_back_replies_are_logged_as_lost(
        caplog: pytest.LogCaptureFixture) -> None:
    sender = Sender(results={"7": [SendResult.retry(60.0)]})
    await Delivery(sender).deliver(TEXT, [Reply("one"), Reply("two")])
    assert "2 replies to 7 lost to flood control" in caplog.text


async def test_a_blocked_chat_gets_nothing_more_and_the_others_still_do() -> None:
    sender = Sender(results={"7": [SendResult.blocked("bot was blocked by the user")]})
    await Delivery(sender).deliver(TEXT, [Reply("one"), Reply("coaches", to_chat="-5"),
                                          Reply("two")])
    assert sender.calls == [("send", "7", "one"), ("send", "-5", "coaches")]


async def test_a_failed_reply_is_logged_and_the_next_one_sent(
        caplog: pytest.LogCaptureFixture) -> None:
    sender = Sender(results={"7": [SendResult.failed("chat not found")]})
    await Delivery(sender).deliver(TEXT, [Reply("one"), Reply("two")])
    assert [c[2] for c in sender.calls] == ["one", "two"]
    assert "reply to 7 failed: chat not found" in caplog.text


async def test_an_edit_replaces_the_pressed_message_once_and_keeps_its_new_buttons() -> None:
    editor = Editor()
    await Delivery(editor).deliver(PRESS, [Reply("step 2", edit=True),
                                           Reply("also new", edit=True)])
    assert editor.calls == [("edit 100", "7", "step 2"), ("send", "7", "also new")]


async def test_spent_buttons_are_cleared_when_nothing_replaced_their_message() -> None:
    editor = Editor()
    await Delivery(editor).deliver(PRESS, [Reply("answer")])
    assert editor.calls == [("send", "7", "answer"), ("clear 100", "7", "")]

    typed, silent = Editor(), Editor()
    await Delivery(typed).deliver(TEXT, [Reply("answer")])
    await Delivery(silent).deliver(PRESS, [])  # a redelivered press: the core said nothing
    assert typed.calls == [("send", "7", "answer")] and silent.calls == []


async def test_a_platform_that_cannot_edit_gets_a_new_message_and_no_clearing() -> None:
    sender = Sender()
    await Delivery(sender).deliver(PRESS, [Reply("step 2", edit=True)])
    assert sender.calls == [("send", "7", "step 2")]


async def test_deferred_replies_become_outbox_rows_due_after_the_wait(
        database: Database, clock: FixedClock) -> None:
    async with database.transaction() as s:
        sari = await Repos(s).partners.create(channel="telegram", external_id="7",
                                              chat_id="7", pack_id="example", now=clock.now())
    replies = [Reply("two"), Reply("three")]

    for _ in range(2):  # the same update deferred twice (a redelivery) adds no copies
        await defer_to_outbox(database, clock, "telegram", "7", replies, 30.0, "tg:41:7")

    async with database.transaction() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))
                ).scalars().all()
    assert [(r.dedupe_key, r.payload["text"], r.partner_id, r.status) for r in rows] == [
        ("tg:41:7:0", "two", sari.id, "pending"), ("tg:41:7:1", "three", sari.id, "pending")]
    assert {r.due_at for r in rows} == {clock.now() + timedelta(seconds=30)}
