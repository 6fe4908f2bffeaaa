"""The dispatcher: what it does with each answer a platform can give, on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.core import FixedClock, Reply, SendResult
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from bot.storage.repos import PartnerRepo
from scheduler.dispatcher import Dispatcher
from scheduler.outbox import Outbox
from tests.scheduler.fakes import RecordingChannel


async def enqueue(db: Database, clock: FixedClock, chat: str, text: str, *,
                  kind: str = "reminder", partner_id: int | None = None,
                  channel: str = "console", delay: float = 0) -> None:
    async with db.transaction() as s:
        await Outbox(s).add(channel=channel, chat_id=chat, kind=kind,
                                   reply=Reply(text), partner_id=partner_id,
                                   due_at=clock.now() + timedelta(seconds=delay),
                                   dedupe_key=f"t:{chat}:{text}", now=clock.now())


async def rows(db: Database) -> dict[str, OutboxMessage]:
    async with db.transaction() as s:
        found = (await s.execute(select(OutboxMessage))).scalars()
        return {str(r.payload["text"]): r for r in found}


def dispatcher(db: Database, ch: RecordingChannel, clock: FixedClock, **kw: object) -> Dispatcher:
    kw.setdefault("rate", None)
    kw.setdefault("chat_interval", 0)
    return Dispatcher(db, {ch.name: ch}, clock, **kw)  # type: ignore[arg-type]


async def test_due_rows_are_sent_in_order_and_their_message_ids_kept(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    await enqueue(database, clock, "ani", "second", delay=2)
    await enqueue(database, clock, "ani", "first", delay=1)
    await enqueue(database, clock, "ani", "later", delay=3600)
    clock.advance(seconds=5)
    await dispatcher(database, ch, clock).run_until_idle()
    assert ch.texts() == ["first", "second"]
    got = await rows(database)
    assert got["first"].status == "sent" and got["first"].message_ref == "1000"
    assert got["later"].status == "pending"


async def test_retry_after_is_honoured_without_losing_or_reordering(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    for i in range(3):
        await enqueue(database, clock, "ani", f"msg {i}", delay=i)
    await enqueue(database, clock, "budi", "for budi")
    clock.advance(seconds=5)
    ch.answer("ani", SendResult.retry(30))
    d = dispatcher(database, ch, clock)
    await d.run_until_idle()
    assert ch.texts() == ["for budi"]  # ani's chat waits, budi's does not
    got = await rows(database)
    assert all(got[f"msg {i}"].status == "pending" for i in range(3))
    assert got["msg 0"].attempts == 0  # the platform pacing us is not a failed attempt
    clock.advance(seconds=29)
    await d.run_until_idle()
    assert ch.texts() == ["for budi"]
    clock.advance(seconds=1)
    await d.run_until_idle()
    assert ch.texts("ani") == ["msg 0", "msg 1", "msg 2"]


async def test_failures_back_off_exponentially_then_give_up(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    await enqueue(database, clock, "ani", "hello")
    ch.answer("ani", *[SendResult.failed("server error")] * 3)
    d = dispatcher(database, ch, clock, max_attempts=3, backoff=10)
    await d.run_until_idle()
    got = (await rows(database))["hello"]
    assert got.status == "pending" and got.attempts == 1 and got.last_error == "server error"
    assert got.due_at == clock.now() + timedelta(seconds=10)
    clock.advance(seconds=10)
    await d.run_until_idle()
    assert (await rows(database))["hello"].due_at == clock.now() + timedelta(seconds=20)
    clock.advance(seconds=20)
    await d.run_until_idle()
    got = (await rows(database))["hello"]
    assert got.status == "failed" and got.attempts == 3 and "gave up" in (got.last_error or "")
    assert ch.sent == []


async def test_a_partner_who_blocked_the_bot_gets_nothing_more(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    async with database.transaction() as s:
        p = await PartnerRepo(s).create(channel="console", external_id="ani", chat_id="ani",
                                        pack_id="example", now=clock.now())
    await enqueue(database, clock, "ani", "one", partner_id=p.id)
    await enqueue(database, clock, "ani", "two", partner_id=p.id, delay=1)
    await enqueue(database, clock, "ani", "tomorrow", partner_id=p.id, delay=86400)
    clock.advance(seconds=2)
    ch.answer("ani", SendResult.blocked("Forbidden: bot was blocked by the user"))
    await dispatcher(database, ch, clock).run_until_idle()
    got = await rows(database)
    assert got["one"].status == "failed" and got["two"].status == "cancelled"
    assert got["tomorrow"].status == "cancelled"
    async with database.transaction() as s:
        assert (await PartnerRepo(s).by_id(p.id)).blocked  # type: ignore[union-attr]
    await enqueue(database, clock, "ani", "broadcast later", partner_id=p.id,
                  kind="broadcast")
    await dispatcher(database, ch, clock).run_until_idle()
    assert (await rows(database))["broadcast later"].status == "cancelled"
    assert ch.sent == []


async def test_opted_out_partner_still_gets_a_coach_answer_but_no_broadcast(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    async with database.transaction() as s:
        repo = PartnerRepo(s)
        p = await repo.create(channel="console", external_id="ani", chat_id="ani",
                              pack_id="example", now=clock.now())
        p.opted_out = True
        await repo.save(p)
    await enqueue(database, clock, "ani", "webinar tonight", partner_id=p.id, kind="broadcast")
    await enqueue(database, clock, "ani", "coach: here is your answer", partner_id=p.id,
                  kind="ticket_reply")
    await dispatcher(database, ch, clock).run_until_idle()
    assert ch.texts() == ["coach: here is your answer"]


async def test_rows_left_sending_by_a_dead_worker_are_retried_after_the_lease(
        database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    await enqueue(database, clock, "ani", "in flight at the crash")
    async with database.transaction() as s:  # a worker claimed it, then died
        await s.execute(update(OutboxMessage).values(status="sending", attempts=1,
                                                     claimed_at=clock.now()))
    d = dispatcher(database, ch, clock, lease=60)
    await d.run_until_idle()
    assert ch.sent == []
    clock.advance(seconds=61)
    stats = await d.run_until_idle()
    assert stats.recovered == 1 and ch.texts() == ["in flight at the crash"]
    got = (await rows(database))["in flight at the crash"]
    assert got.status == "sent" and got.attempts == 2


async def test_one_message_per_chat_per_second(database: Database, clock: FixedClock) -> None:
    ch = RecordingChannel()
    for i in range(3):
        await enqueue(database, clock, "ani", f"ani {i}", delay=i / 10)
    await enqueue(database, clock, "budi", "budi 0")
    clock.advance(seconds=1)
    d = dispatcher(database, ch, clock, chat_interval=1.0)
    await d.run_until_idle()
    assert sorted(ch.texts()) == ["ani 0", "budi 0"]
    clock.advance(seconds=0.5)
    await d.run_until_idle()
    assert len(ch.sent) == 2
    clock.advance(seconds=0.5)
    await d.run_until_idle()
    clock.advance(seconds=1)
    await d.run_until_idle()
    assert ch.texts("ani") == ["ani 0", "ani 1", "ani 2"]
    assert all(r.attempts == 1 for r in (await rows(database)).values())


async def test_a_console_terminal_only_takes_its_own_users_rows(
        database: Database, clock: FixedClock) -> None:
    sari_terminal, coach_terminal = RecordingChannel(), RecordingChannel()
    await enqueue(database, clock, "sari", "for sari")
    await enqueue(database, clock, "coach", "for the coach")
    await enqueue(database, clock, "123", "for telegram", channel="telegram")
    await dispatcher(database, sari_terminal, clock, only_chats={"console": "sari"}
                     ).run_until_idle()
    await dispatcher(database, coach_terminal, clock, only_chats={"console": "coach"}
                     ).run_until_idle()
    assert sari_terminal.texts() == ["for sari"]
    assert coach_terminal.texts() == ["for the coach"]
    assert (await rows(database))["for telegram"].status == "pending"


async def test_a_channel_that_raises_is_a_failed_attempt_not_a_crash(
        database: Database, clock: FixedClock) -> None:
    class Broken(RecordingChannel):
        async def send(self, chat_id: str, reply: Reply) -> SendResult:
            raise ConnectionError("network down")

    await enqueue(database, clock, "ani", "hello")
    stats = await dispatcher(database, Broken(), clock).tick()
    got = (await rows(database))["hello"]
    assert stats.claimed == 1 and got.status == "pending"
    assert "network down" in (got.last_error or "")


async def test_a_tick_claims_no_more_than_its_batch_on_postgresql_too(
        database: Database, clock: FixedClock) -> None:
    # as a subquery of the UPDATE, PostgreSQL re-ran LIMIT … SKIP LOCKED and claimed them all
    ch = RecordingChannel()
    for i in range(3):
        await enqueue(database, clock, f"chat{i}", f"row {i}")
    stats = await dispatcher(database, ch, clock, batch_size=1).tick()
    assert stats.claimed == 1 and ch.texts() == ["row 0"]
    assert sorted(r.status for r in (await rows(database)).values()) == [
        "pending", "pending", "sent"]
