"""How every nudge looks: the pack's text for its kind, one main button, and a way to stop."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from bot.core import Button, Reply, rows
from bot.core.i18n import fill
from content.loader import Pack, PackLibrary
from content.schema import NudgeKind
from handlers.optout.buttons import ASK_STOP
from scheduler.nudging import Nudge

T = TypeVar("T")
Buttons = tuple[tuple[Button, ...], ...]


class Shared:
    """What the nudges of one render call share, made once each: texts and buttons per pack,
    language and reason. A backlog renders thousands of nudges from a handful of them; only
    the partner's name (and what is theirs alone) is filled in per nudge."""

    def __init__(self) -> None:
        self._made: dict[Hashable, Any] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        if key in self._made:
            found: T = self._made[key]
            return found
        made = self._made[key] = make()
        return made


def nudge_parts(kind: str, pack: Pack, library: PackLibrary, lang: str,
                main: Button) -> tuple[str, str, Buttons]:
    """The pack's nudge text of `kind` in `lang` (placeholders not filled), what the partner
    is called when they have no name, and the buttons: `main` and the stop button."""
    friend = library.t(pack, lang, "nudge_friend")
    template = pack.nudges.texts[NudgeKind(kind)].get(lang)
    return template, friend, rows(main, ASK_STOP.button(library.t(pack, lang, "nudge_btn_stop")))


def nudge_reply(n: Nudge, pack: Pack, library: PackLibrary, lang: str, name: str | None,
                main: Button, **values: Any) -> Reply:
    """The pack's nudge text of `n.kind` in `lang` (placeholders filled, unknown ones kept),
    with `main` and the stop button under it."""
    template, friend, buttons = nudge_parts(n.kind, pack, library, lang, main)
    return Reply(fill(template, name=name or friend, **values), buttons)
