"""What background work (a scheduler job, a report, a digest section) receives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.feature import Feature
from bot.storage.repos import Repos, SessionRepo
from content.loader import Pack, PackLibrary
from scheduler.outbox import Outbox

if TYPE_CHECKING:
    from bot.config import Settings

R = TypeVar("R", bound=SessionRepo)


@dataclass
class Scope:
    """One unit of background work: its repositories, the packs, the settings, the time."""

    repos: Repos
    library: PackLibrary
    settings: Settings
    now: datetime
    # every feature of the deployment, for work that gathers their contributions (a digest)
    features: Sequence[Feature[Any, Scope, Any]] = field(default_factory=tuple)

    def repo(self, kind: type[R]) -> R:
        return self.repos.get(kind)

    @property
    def outbox(self) -> Outbox:
        return self.repos.get(Outbox)

    def t(self, pack: Pack | str | None, lang: str, key: str, /, **values: Any) -> str:
        return self.library.t(pack, lang, key, **values)
