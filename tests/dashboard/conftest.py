"""A coach, their partners and the dashboard served in-process to an HTTP client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.app import CoachBot
from bot.storage.models import Role
from bot.storage.repos import Repos
from bot.web.app import create_app
from handlers.coaches.roles import set_role
from tests.fixtures.chat import Chat

LINK = re.compile(r"http://\S+/login/(\S+)")


@dataclass
class Web:
    """The dashboard as a coach's browser sees it."""

    client: httpx.AsyncClient
    bot: CoachBot

    async def link_from_chat(self, coach: Chat) -> str:
        """The coach sends /dashboard and gets a link; its path on the dashboard."""
        await coach.send("/dashboard")
        found = LINK.search(coach.text)
        assert found, coach.text
        return f"/login/{found.group(1)}"

    async def sign_in(self, coach: Chat) -> None:
        r = await self.client.get(await self.link_from_chat(coach))
        assert r.status_code == 303, r.text

    async def csrf(self, path: str) -> str:
        r = await self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', r.text)
        assert found, r.text
        return found.group(1)


async def make_coach(bot: CoachBot, user: str = "rina", name: str = "Rina") -> Chat:
    async with bot.db.transaction() as s:
        await set_role(Repos(s), channel="console", external_id=user, role=Role.COACH,
                       pack_id="example", now=bot.clock.now(), name=name)
    return Chat(bot, user=user)


@pytest.fixture
async def coach(bot: CoachBot) -> Chat:
    return await make_coach(bot)


@pytest.fixture
async def web(bot: CoachBot) -> AsyncIterator[Web]:
    transport = httpx.ASGITransport(app=create_app(bot, secret="test-secret"))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        yield Web(client, bot)
