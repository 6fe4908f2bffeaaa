"""The bot dies after a message's transaction committed and before its reply was sent.

The reply was written to the outbox with the state change, so it is not lost: the partner is
not left at a prompt they never saw. Replies that did go out are marked sent and are not sent
a second time.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import CoachBot
from bot.config import Settings
from bot.core import FixedClock, Inbound, Reply
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher
from tests.e2e.conftest import serving, telegram_settings
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e


class Killed(Exception):
    """Stands for kill -9: the process is gone before it could send."""


async def test_a_reply_committed_but_never_sent_is_delivered_after_the_crash(
        bot: CoachBot, settings: Settings, clock: FixedClock) -> None:
    crash_on: set[str] = set()

    async def dies_after_commit(msg: Inbound) -> list[Reply]:
        replies = await bot.handle(msg)  # committed
        if msg.update_id in crash_on:
            crash_on.discard(msg.update_id)
            raise Killed()
        return replies

    async with FakeBotAPI(global_rate=None, chat_rate=None) as fake, serving(
            bot, telegram_settings(settings, fake, "aiogram", "polling"),
            handle=dies_after_commit) as runner:
        sari = fake.user("Sari", language_code="en")
        hello = await sari.say("/start")
        await sari.tap(hello, "English")  # she is asked her name

        after_help = await sari.send("/help") + 1  # the update id of her next message
        crash_on.add(f"{fake.bot_user['id']}:{after_help}")
        await sari.wait_messages(1)
        lost = await sari.send("Sari")
        await fake.wait_confirmed(lost, within=10)
        assert not [m for m in sari.unread() if "Sari" in m.get("text", "")], \
            "the crash took the answer to her name"

        # the dispatcher (beside the restarted bot) finds the reply once the lease is over
        await runner.marks.flush()
        clock.advance(seconds=settings.outbox_lease + 1)
        await Dispatcher(bot.db, {"telegram": runner.channel}, clock, rate=None,
                         chat_interval=0, lease=settings.outbox_lease).run_until_idle()

        answer = await sari.wait_messages(1)
        assert "Nice to meet you, Sari" in answer[0]["text"]
        said = [m.get("text", "") for m in fake.chat_messages(sari.id)]
        assert sum("Here are the commands" in t for t in said) == 1, "sent replies stay sent"
        await runner.marks.flush()
        async with bot.db.transaction() as s:
            left = (await s.execute(select(OutboxMessage.status).where(
                OutboxMessage.chat_id == str(sari.id)))).scalars().all()
        assert set(left) <= {"sent"}, "delivered replies leave nothing waiting to be sent"
