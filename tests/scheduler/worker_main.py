"""A real worker process for the restart and multi-worker tests.

    python -m tests.scheduler.worker_main service RECORD   # planner + dispatcher (APScheduler)
    python -m tests.scheduler.worker_main drain RECORD     # dispatcher only, exits when empty

Settings come from the environment (COACHBOT_*). The channel is a fake platform that appends
`chat_id<TAB>text` to RECORD with one unbuffered write per message, so a `kill -9` keeps every
line of what was sent.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import func, select

from bot.config import Settings
from bot.core import Reply, SendResult
from bot.runtime import background_services, build_app
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from scheduler.dispatcher import Dispatcher


class FilePlatform:
    name = "console"

    def __init__(self, path: str, delay: float):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.delay = delay
        self.n = 0

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        if self.delay:
            await asyncio.sleep(self.delay)  # the platform's network round trip
        os.write(self.fd, f"{chat_id}\t{reply.text}\n".encode())
        self.n += 1
        return SendResult.ok(f"{os.getpid()}-{self.n}")


async def service(record: str) -> None:
    settings = Settings()
    app = await build_app(settings)
    async with background_services(app, {"console": FilePlatform(record, 0.005)}):
        print("ready", flush=True)
        await asyncio.Event().wait()  # until killed


async def drain(record: str) -> None:
    settings = Settings()
    db = Database(settings.database_url)
    platform = FilePlatform(record, 0.002)
    d = Dispatcher.from_settings(db, {"console": platform}, settings, chat_interval=0,
                                 batch_size=100)
    print("ready", flush=True)
    while True:
        await d.tick()
        async with db.transaction() as s:
            left = (await s.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status.in_(("pending", "sending"))))).scalar_one()
        if not left:
            break
        await asyncio.sleep(0.02)  # poll interval while the other worker finishes
    await db.dispose()
    print(f"sent {platform.n}", flush=True)


if __name__ == "__main__":
    mode, record = sys.argv[1], sys.argv[2]
    asyncio.run(service(record) if mode == "service" else drain(record))
