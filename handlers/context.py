"""What every handler receives besides the inbound message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.core import Clock, Inbound
from bot.storage.repos import PartnerRecord, Repos
from content.loader import Pack, PackLibrary

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.faq import FaqEngines


@dataclass
class Services:
    """Long-lived helpers built once at start-up and shared by every message."""

    extra: dict[str, Any] = field(default_factory=dict)
    # one FAQ index per pack (bot.faq), built in bot.runtime.build_app
    faq: FaqEngines | None = None


@dataclass
class Context:
    partner: PartnerRecord
    repos: Repos
    library: PackLibrary
    clock: Clock
    settings: Settings
    services: Services
    inbound: Inbound

    @property
    def pack(self) -> Pack:
        pack = self.library.packs.get(self.partner.pack_id)
        if pack is None:  # a pack removed from the deployment: fall back to the default one
            pack = self.library.packs.get(self.settings.default_pack) or next(
                iter(self.library.packs.values()))
            self.partner.pack_id = pack.id
        return pack

    @property
    def lang(self) -> str:
        return self.partner.language

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(ZoneInfo(self.partner.timezone))

    def t(self, key: str, **kw: Any) -> str:
        """The UI message `key` in the partner's language, with placeholders filled."""
        text = self.library.text(self.pack, key, self.lang)
        return text.format(**kw) if kw else text
