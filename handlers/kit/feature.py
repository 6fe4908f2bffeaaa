"""The base every feature's `Feature` subclass extends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core import Reply
from bot.core.feature import Feature
from content.loader import PackLibrary
from handlers.kit.context import Context, Services
from scheduler.nudging import NudgeSource
from scheduler.scope import Scope

if TYPE_CHECKING:
    from bot.config import Settings

# an answer from a feature's own data that a FAQ entry names (`answer_from`); None when the
# feature has nothing to say to this partner, and the entry's written answer stands alone
LiveAnswer = Callable[[Context], Awaitable[Reply | None]]


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

    def live_answers(self) -> Mapping[str, LiveAnswer]:
        """The live answers this feature provides, by the name a FAQ entry gives them."""
        return {}


def live_answer(features: tuple[FeatureBase, ...], name: str) -> LiveAnswer | None:
    """The feature's live answer called `name`, if any feature provides it."""
    for feature in features:
        found = feature.live_answers().get(name)
        if found is not None:
            return found
    return None
