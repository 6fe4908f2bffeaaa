"""CHANNELS: what `coachbot run` serves, chosen from the settings alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.channels import CHANNELS, FALLBACK, ChannelSpec, network_channels
from bot.config import Settings


def test_the_console_serves_when_no_network_channel_is_configured(settings: Settings) -> None:
    assert network_channels(settings.model_copy(update={"telegram_token": None})) == []
    console = CHANNELS[FALLBACK]
    assert console.name == "console" and console.serve is not None and console.connect is None


def test_a_telegram_token_configures_telegram(settings: Settings) -> None:
    configured = settings.model_copy(update={"telegram_token": "42:abc"})
    assert [c.name for c in network_channels(configured)] == ["telegram"]


def test_a_channel_is_either_served_alone_or_connected() -> None:
    with pytest.raises(ValueError, match="either connect or serve"):
        ChannelSpec("half", configured=lambda _: True)


def test_listing_the_channels_imports_no_platform_library() -> None:
    probe = ("import sys, bot.channels; "
             "print(sorted(m for m in ('aiogram', 'telegram', 'pywa', 'aiohttp') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
