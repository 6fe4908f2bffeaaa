"""Replies in flight (scheduler/replies.py): written with the turn, deleted once settled (by the
next turn or a short timer), and sent by the dispatcher only when their process is gone.

Sari's answers must reach her exactly once: a reply whose process died is sent from the
outbox, a reply still queued in a live process is left to it however long it waits."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.app import CoachBot
from bot.core import FixedClock, Inbound, Reply
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, ReplyInFlight, ReplySender
from bot.storage.repos import PartnerRepo
from scheduler.dispatcher import Dispatcher
from scheduler.replies import ReplyMarks, record_replies, reply_key
from tests.scheduler.fakes import RecordingChannel

LEASE = 120.0


async def _record(db: Database, clock: FixedClock, update_id: str, n: int,
                  owner: str = "gone", chat: str = "42") -> None:
    async with db.transaction(interactive=True) as s:
        await record_replies(s, owner=owner, channel="telegram", chat_id=chat,
                             update_id=update_id,
                             replies=[Reply(f"answer {i} to {update_id}") for i in range(n)],
                             now=clock.now(), partner_id=None)


async def _left(db: Database) -> set[str]:
    async with db.transaction() as s:
        return set((await s.execute(select(ReplyInFlight.key))).scalars())


def _dispatcher(db: Database, ch: RecordingChannel, clock: FixedClock) -> Dispatcher:
    return Dispatcher(db, {"telegram": ch}, clock, rate=None, chat_interval=0,  # type: ignore[dict-item]
                      lease=LEASE)


async def test_settled_replies_are_deleted_and_the_rest_kept(
        database: Database, clock: FixedClock) -> None:
    await _record(database, clock, "7:1", 2)
    await _record(database, clock, "7:2", 1)
    marks = ReplyMarks(database, clock)

    marks.settle(reply_key("telegram", "7:1", 0))
    marks.settle(reply_key("telegram", "7:1", 1))
    await marks.flush()

    assert await _left(database) == {reply_key("telegram", "7:2", 0)}, \
        "only the settled rows go; the unsent one stays in flight"
    await marks.close()


async def test_the_next_turn_deletes_what_was_settled_without_a_commit_of_its_own(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    # a timer that never fires: only the turn can delete the rows
    marks = ReplyMarks(database, clock, every=3600)
    bot.durable_replies.add("telegram")
    bot.reply_marks = marks
    first = await bot.handle(Inbound.from_text("telegram", "42", "/help", update_id="1"))
    keys = {reply_key("telegram", "1", i) for i in range(len(first))}
    assert first and await _left(database) == keys, "the answers are written with the turn"

    for key in keys:
        marks.settle(key)
    second = await bot.handle(Inbound.from_text("telegram", "42", "/help", update_id="2"))

    assert await _left(database) == {reply_key("telegram", "2", i) for i in range(len(second))}
    assert marks.take() == [], "nothing left for the timer"
    await marks.close()


async def test_a_turn_that_fails_gives_the_settled_keys_back(
        bot: CoachBot, database: Database, clock: FixedClock) -> None:
    marks = ReplyMarks(database, clock, every=3600)
    bot.durable_replies.add("telegram")
    bot.reply_marks = marks
    await bot.handle(Inbound.from_text("telegram", "42", "/help", update_id="1"))
    marks.settle(reply_key("telegram", "1", 0))

    async def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("disk full")

    bot.router.dispatch = broken  # type: ignore[method-assign,assignment]
    await bot.handle(Inbound.from_text("telegram", "42", "/help", update_id="2"))

    assert marks.take() == [reply_key("telegram", "1", 0)], \
        "the rolled-back delete is tried again later"
    await marks.close()


async def test_a_busy_sqlite_writer_delays_the_delete_without_losing_it(
        tmp_path: Path, clock: FixedClock) -> None:
    path = f"{tmp_path}/marks.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await _record(db, clock, "7:1", 1)
    marks = ReplyMarks(db, clock)
    marks.settle(reply_key("telegram", "7:1", 0))

    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process writing (a CLI command)
    other.execute("PRAGMA busy_timeout=0")
    try:
        # the delete finds the lock taken and waits in aiosqlite's thread (busy wait), where
        # it blocks no one; the other writer finishes meanwhile
        flushing = asyncio.create_task(marks.flush())
        await asyncio.sleep(0.05)
        other.commit()
        await flushing
    finally:
        other.close()

    assert await _left(db) == set(), "the settled row was deleted once the writer finished"
    await marks.close()
    await db.dispose()


async def test_replies_of_a_dead_process_are_sent_once_from_the_outbox_after_the_lease(
        database: Database, clock: FixedClock) -> None:
    await _record(database, clock, "9:1", 2, owner="crashed")
    ch = RecordingChannel(name="telegram")
    dispatcher = _dispatcher(database, ch, clock)

    clock.advance(seconds=LEASE - 1)
    await dispatcher.run_until_idle()
    assert ch.texts() == [], "within the lease the process may still send them"

    clock.advance(seconds=2)
    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()
    assert ch.texts("42") == ["answer 0 to 9:1", "answer 1 to 9:1"], "once each, in order"
    assert await _left(database) == set()
    async with database.transaction() as s:
        moved = (await s.execute(select(OutboxMessage.kind, OutboxMessage.status))).all()
    assert moved == [("reply", "sent"), ("reply", "sent")]


async def test_a_live_process_keeps_its_slow_replies_however_long_they_wait(
        database: Database, clock: FixedClock) -> None:
    marks = ReplyMarks(database, clock, beat=3600)
    await marks.start()
    await _record(database, clock, "9:1", 1, owner=marks.owner)
    ch = RecordingChannel(name="telegram")
    dispatcher = _dispatcher(database, ch, clock)

    for _ in range(5):  # ten minutes queued behind a slow chat, the heartbeat going on
        clock.advance(seconds=LEASE)
        await marks._seen()
        await dispatcher.run_until_idle()
    assert ch.texts() == [], "never sent by the dispatcher while its process lives"

    await marks.close()  # stopped without sending it: the dispatcher takes over
    clock.advance(seconds=LEASE + 1)
    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()
    assert ch.texts("42") == ["answer 0 to 9:1"]
    async with database.transaction() as s:
        assert (await s.execute(select(ReplySender))).first() is None, "no sender left behind"


async def test_a_process_whose_heartbeat_stopped_loses_its_replies_to_the_dispatcher(
        database: Database, clock: FixedClock) -> None:
    marks = ReplyMarks(database, clock, beat=3600)
    await marks.start()
    await _record(database, clock, "9:1", 1, owner=marks.owner)
    async with database.transaction() as s:  # killed: its last beat grows old
        await s.execute(update(ReplySender).values(seen_at=clock.now() - timedelta(hours=1)))
    clock.advance(seconds=LEASE + 1)
    ch = RecordingChannel(name="telegram")
    await _dispatcher(database, ch, clock).run_until_idle()
    await _dispatcher(database, ch, clock).run_until_idle()
    assert ch.texts("42") == ["answer 0 to 9:1"]


async def test_erasing_a_partner_erases_their_replies_in_flight(
        database: Database, clock: FixedClock) -> None:
    async with database.transaction() as s:
        sari = await PartnerRepo(s).create(channel="telegram", external_id="42", chat_id="42",
                                           pack_id="example", now=clock.now())
    async with database.transaction(interactive=True) as s:
        await record_replies(s, owner="x", channel="telegram", chat_id="42", update_id="1",
                             replies=[Reply("Halo Sari")], now=clock.now(),
                             partner_id=sari.id)
    async with database.transaction() as s:
        await PartnerRepo(s).delete(sari.id)
    assert await _left(database) == set()
