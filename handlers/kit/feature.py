"""The base every feature's `Feature` subclass extends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.feature import Feature
from content.loader import PackLibrary
from handlers.kit.context import Context, Services
from scheduler.nudging import NudgeSource
from scheduler.scope import Scope

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class Startup:
    """What a feature may use to prepare its long-lived services at start-up."""

    library: PackLibrary
    settings: Settings
    services: Services


class FeatureBase(Feature[Context, Scope, NudgeSource]):
    """A feature of this project: the kernel's contributions, plus preparing services."""

    def prepare(self, startup: Startup) -> None:
        """Builds what the feature shares across messages (e.g. an index), once."""
