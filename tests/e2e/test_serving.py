"""`coachbot run` serves every configured network channel in one process: one app, one
scheduler, one webhook listener with a path per channel."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import CoachBot
from bot.channels import CHANNELS, ChannelSpec
from bot.channels.serving import Connection, Route, Server, serve_network
from bot.config import Settings
from bot.core import Inbound, Reply, SendResult
from tests.e2e.conftest import telegram_settings
from tests.fakes import FakeBotAPI

pytestmark = pytest.mark.e2e


@dataclass
class Parrot:
    """A second network channel, as WhatsApp will be: a webhook path on the shared listener."""

    app: CoachBot
    name: str = "parrot"
    sent: list[tuple[str, str]] = field(default_factory=list)
    port: int | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    fail: bool = False

    @property
    def channel(self) -> Parrot:
        return self

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.sent.append((chat_id, reply.text))
        return SendResult.ok()

    def routes(self) -> Sequence[Route]:
        return [Route("/parrot/hook", self._hook)]

    async def _hook(self, request: web.Request) -> web.Response:
        data = await request.json()
        msg = Inbound.from_text(self.name, data["from"], data["text"],
                                update_id=f"p{data['id']}")
        for reply in await self.app.handle(msg):
            await self.send(msg.chat_id, reply)
        return web.Response(text="")

    async def serve(self, stop: asyncio.Event, port: int | None = None) -> None:
        self.port = port
        self.ready.set()
        if self.fail:
            raise ValueError("the parrot flew away")
        await stop.wait()


@dataclass
class ParrotConnection:
    servers: list[Parrot]
    fail: bool = False
    closed: bool = False

    def attach(self, app: CoachBot) -> Server:
        self.servers.append(Parrot(app, fail=self.fail))
        return self.servers[-1]

    async def close(self) -> None:
        self.closed = True


def parrot_spec(connection: ParrotConnection) -> ChannelSpec:
    async def connect(settings: Settings) -> Connection:
        return connection

    return ChannelSpec("parrot", configured=lambda _: True, connect=connect)


@pytest.fixture
def config(settings: Settings, fake: FakeBotAPI, tmp_path: Path) -> Settings:
    """Telegram by webhook, on a SQLite file (serve_network builds its own app)."""
    return telegram_settings(settings, fake, "aiogram", "webhook").model_copy(update={
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"})


async def test_two_channels_share_one_app_and_one_listener(config: Settings,
                                                           fake: FakeBotAPI) -> None:
    servers: list[Parrot] = []
    connection = ParrotConnection(servers)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_network(config, [CHANNELS["telegram"], parrot_spec(connection)], stop))
    try:
        await fake.wait_until(lambda: bool(fake.calls_to("setWebhook")), within=120,
                              what="the webhook to be set")
        [parrot] = servers
        await asyncio.wait_for(parrot.ready.wait(), 60)
        [hook] = fake.calls_to("setWebhook")
        assert hook.params["url"] == f"http://127.0.0.1:{parrot.port}/tg/hook"

        sari = fake.user("Sari", language_code="en")
        assert "Hi! I'm your digital coach." in "\n".join(m["text"]
                                                          for m in await sari.say("/start"))
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{parrot.port}/parrot/hook"
            async with http.post(url, json={"id": 1, "from": "p-7", "text": "/start"}) as resp:
                assert resp.status == 200
        assert parrot.sent and all(chat == "p-7" for chat, _ in parrot.sent)
    finally:
        stop.set()
        await asyncio.wait_for(task, 120)
    assert connection.closed


async def test_a_channel_that_fails_stops_the_others_and_is_reported(
        config: Settings, fake: FakeBotAPI) -> None:
    connection = ParrotConnection([], fail=True)
    stop = asyncio.Event()
    with pytest.raises(ValueError, match="the parrot flew away"):
        await asyncio.wait_for(serve_network(
            config, [CHANNELS["telegram"], parrot_spec(connection)], stop), 30)
    assert stop.is_set() and connection.closed
