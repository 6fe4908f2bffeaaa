"""Templates: what may be sent outside the 24-hour window, as each pack declares it."""

from __future__ import annotations

from bot.channels.whatsapp.channel import TemplateFor
from bot.channels.whatsapp.render import Json
from bot.channels.whatsapp.store import ChatView
from bot.core import Reply
from content.loader import PackLibrary


def pack_templates(library: PackLibrary, default_pack: str) -> TemplateFor:
    """The template of a message's kind in the partner's pack (None: it waits)."""

    def template(chat: ChatView, kind: str | None, reply: Reply) -> Json | None:
        return None

    return template
