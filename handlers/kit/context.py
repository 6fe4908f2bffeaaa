"""What every handler receives besides the inbound message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from bot.core import Clock, Inbound
from bot.core.feature import Router
from bot.storage.repos import PartnerRecord, Repos, SessionRepo
from content.loader import Pack, PackLibrary
from scheduler.outbox import Outbox
from scheduler.scope import Scope

if TYPE_CHECKING:
    from bot.config import Settings
    from handlers.kit.feature import FeatureBase

T = TypeVar("T")
R = TypeVar("R", bound=SessionRepo)

# the coaches' chat on the console when COACHBOT_COACH_CHAT_ID is not set
CONSOLE_COACH_CHAT = "coaches"
COACH_ROLES = ("coach", "admin")


@dataclass
class Services:
    """Long-lived helpers built once at start-up (by the features' `prepare`) and shared by
    every message, looked up by their type."""

    _by_type: dict[type, Any] = field(default_factory=dict)

    def put(self, service: object) -> None:
        self._by_type[type(service)] = service

    def get(self, kind: type[T]) -> T | None:
        found = self._by_type.get(kind)
        return found if isinstance(found, kind) else None


def coach_chat_of(settings: Settings, channel: str) -> str | None:
    """The coaches' chat on a channel: the configured one, or the coach console."""
    if settings.coach_chat_id:
        return settings.coach_chat_id
    return CONSOLE_COACH_CHAT if channel == "console" else None


def coaches_address(settings: Settings, channel: str) -> tuple[str, str] | None:
    """Where a message about a partner on `channel` reaches the coaches: the configured chat
    lives on digest_channel (Telegram), so a partner-only channel (WhatsApp) is not used."""
    chat = coach_chat_of(settings, channel)
    if chat is None:
        return None
    return (channel if channel in (settings.digest_channel, "console")
            else settings.digest_channel), chat


@dataclass
class Context:
    """One turn of the conversation: who wrote, their data, and the deployment."""

    partner: PartnerRecord
    repos: Repos
    library: PackLibrary
    clock: Clock
    settings: Settings
    services: Services
    inbound: Inbound
    router: Router[Context]
    features: tuple[FeatureBase, ...] = ()
    # the channels this deployment serves (for naming someone as `channel:id`)
    channels: frozenset[str] = frozenset()

    @property
    def pack(self) -> Pack:
        pack = self.library.packs.get(self.partner.pack_id)
        if pack is None:  # a pack removed from the deployment: fall back to the default one
            pack = self.library.fallback(None, self.settings.default_pack)
            self.partner.pack_id = pack.id
        return pack

    @property
    def lang(self) -> str:
        return self.partner.language

    @property
    def state(self) -> str:
        return self.partner.state

    @property
    def is_coach(self) -> bool:
        """The partner has the coach or admin role."""
        return self.partner.role in COACH_ROLES

    @property
    def is_admin(self) -> bool:
        return self.partner.role == "admin"

    @property
    def in_coach_chat(self) -> bool:
        """The message was written in the coaches' chat (whoever wrote it)."""
        return self.inbound.chat_id == coach_chat_of(self.settings, self.inbound.channel)

    def coaches_address(self, channel: str | None = None) -> tuple[str, str] | None:
        return coaches_address(self.settings, channel or self.partner.channel)

    def now(self) -> datetime:
        return self.clock.now()

    def local_now(self) -> datetime:
        return self.clock.now().astimezone(ZoneInfo(self.partner.timezone))

    def t(self, key: str, /, **values: Any) -> str:
        """The UI message `key` in the partner's language, with placeholders filled."""
        return self.library.t(self.pack, self.lang, key, **values)

    def t_for(self, partner: PartnerRecord, key: str, /, **values: Any) -> str:
        """A message for another partner: in their pack and language."""
        return self.library.t(partner.pack_id, partner.language, key, **values)

    def coach_t(self, key: str, /, **values: Any) -> str:
        """A message for the coaches' chat, in the coaches' language."""
        return self.library.t(self.partner.pack_id, self.settings.coach_language, key,
                              **values)

    def repo(self, kind: type[R]) -> R:
        """A feature's repository in this turn's unit of work."""
        return self.repos.get(kind)

    @property
    def outbox(self) -> Outbox:
        return self.repos.get(Outbox)

    def scope(self) -> Scope:
        """This turn as background work sees it (for the shared reports)."""
        return Scope(self.repos, self.library, self.settings, self.now(), self.features)
