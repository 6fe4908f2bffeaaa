"""Fakes of external services that real client libraries talk to over HTTP."""

from tests.fakes.bot_api import DEFAULT_TOKEN, Call, FakeBotAPI, FakeGroup, FakeUser

__all__ = ["DEFAULT_TOKEN", "Call", "FakeBotAPI", "FakeGroup", "FakeUser"]
