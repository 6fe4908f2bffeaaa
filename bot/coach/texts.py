"""UI texts for messages that are not replies to the current sender (outbox rows, CLI)."""

from __future__ import annotations

from typing import Any

from content.loader import PackLibrary


def t(library: PackLibrary, pack_id: str | None, lang: str, key: str, **kw: Any) -> str:
    """The UI message `key` in `lang`, with a pack's override when it has one."""
    pack = library.packs.get(pack_id or "")
    text = library.text(pack, key, lang)
    return text.format(**kw) if kw else text
