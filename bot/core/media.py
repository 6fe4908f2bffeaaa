"""The bytes of files users send, fetched through the channel they came from.

A platform's file id means nothing on another platform, and some expire (WhatsApp's media
ids; its download URLs last minutes): a feature that must show a partner's file elsewhere (a
mission proof in the coaches' Telegram chat) fetches its bytes while it can. Channels
register how; features ask without knowing the platform:

    media = ctx.services.get(MediaFetchers)
    if media is not None and media.can_fetch(msg.channel):
        file = await media.fetch(msg.channel, msg.attachments[0])
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.messages import Attachment, OutFile

FetchMedia = Callable[[Attachment], Awaitable[OutFile]]


class MediaFetchers:
    """One fetcher per channel whose file ids do not travel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, FetchMedia] = {}

    def register(self, channel: str, fetch: FetchMedia) -> None:
        self._by_channel[channel] = fetch

    def can_fetch(self, channel: str) -> bool:
        return channel in self._by_channel

    async def fetch(self, channel: str, attachment: Attachment) -> OutFile:
        """The attachment's bytes; the channel's error when the platform refuses."""
        return await self._by_channel[channel](attachment)
