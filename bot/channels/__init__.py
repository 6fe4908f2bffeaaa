"""Channel adapters — the only place a messaging library is imported — and CHANNELS.

A channel is one module plus one line in CHANNELS. `coachbot run` serves every network
channel the settings configure, together in one process (bot/channels/serving.py); when none
is configured it serves the console. Importing this package imports no platform library: a
channel's module is imported only when the channel is served.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from bot.core import OutboundChannel

if TYPE_CHECKING:
    from bot.channels.serving import Connection
    from bot.config import Settings


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One channel as `coachbot run` sees it: whether it is configured and how it is served.

    A network channel has `connect`; the console, served on its own, has `serve`.
    """

    name: str
    # whether the settings ask for this channel (its token, its phone-number id, …)
    configured: Callable[[Settings], bool]
    # checks the channel's credentials and returns what serves it once the app is built
    connect: Callable[[Settings], Awaitable[Connection]] | None = None
    # serves the channel alone, until its input ends
    serve: Callable[[Settings], Coroutine[Any, Any, None]] | None = None
    # sends without serving (a broadcast sent from the CLI): the channel and how to close it
    sender: Callable[[Settings], Awaitable[Sender]] | None = None

    def __post_init__(self) -> None:
        if (self.connect is None) == (self.serve is None):
            raise ValueError(f"channel {self.name}: give it either connect or serve")


Sender = tuple[OutboundChannel, Callable[[], Awaitable[None]]]


def _connect(module: str) -> Callable[[Settings], Awaitable[Connection]]:
    """The `connect(settings)` of a network channel's module, imported when first called."""

    async def connect(settings: Settings) -> Connection:
        connection: Connection = await import_module(module).connect(settings)
        return connection

    return connect


def _sender(module: str) -> Callable[[Settings], Awaitable[Sender]]:
    """The `sender(settings)` of a network channel's module, imported when first called."""

    async def sender(settings: Settings) -> Sender:
        made: Sender = await import_module(module).sender(settings)
        return made

    return sender


async def _serve_console(settings: Settings) -> None:
    # the console module, once imported, serves from the terminal: only when asked for
    await import_module("bot.channels.console").serve(settings)


CHANNELS: dict[str, ChannelSpec] = {spec.name: spec for spec in (
    ChannelSpec("console", configured=lambda _: True, serve=_serve_console),
    ChannelSpec("telegram", configured=lambda s: bool(s.telegram_token),
                connect=_connect("bot.channels.telegram.runner"),
                sender=_sender("bot.channels.telegram.runner")),
    ChannelSpec("whatsapp", configured=lambda s: bool(s.whatsapp_token),
                connect=_connect("bot.channels.whatsapp.runner"),
                sender=_sender("bot.channels.whatsapp.runner")),
)}
FALLBACK = "console"  # what `coachbot run` serves when no network channel is configured


def network_channels(settings: Settings) -> list[ChannelSpec]:
    """The network channels the settings configure, in CHANNELS order."""
    return [c for c in CHANNELS.values() if c.connect is not None and c.configured(settings)]
