"""How every nudge looks: the pack's text for its kind, one main button, and a way to stop."""

from __future__ import annotations

from typing import Any

from bot.core import Button, Reply, rows
from bot.core.i18n import fill
from content.loader import Pack, PackLibrary
from content.schema import NudgeKind
from handlers.optout.buttons import ASK_STOP
from scheduler.nudging import Nudge


def nudge_reply(n: Nudge, pack: Pack, library: PackLibrary, lang: str, name: str | None,
                main: Button, **values: Any) -> Reply:
    """The pack's nudge text of `n.kind` in `lang` (placeholders filled, unknown ones kept),
    with `main` and the stop button under it."""
    friend = library.t(pack, lang, "nudge_friend")
    text = fill(pack.nudges.texts[NudgeKind(n.kind)].get(lang), name=name or friend, **values)
    return Reply(text, rows(main, ASK_STOP.button(library.t(pack, lang, "nudge_btn_stop"))))
