"""Templates: what may be sent outside the 24-hour window, as each pack declares it.

A pack lists its approved templates in pack.yaml (`whatsapp_templates`: the kind of message,
the template's name and language code, and where each parameter comes from). A message
whose kind has no template waits for the partner's next message.
"""

from __future__ import annotations

from bot.channels.whatsapp.channel import TemplateFor
from bot.channels.whatsapp.render import Json, template_body
from bot.channels.whatsapp.store import ChatView
from bot.core import Reply
from content.loader import PackLibrary
from content.schema import WhatsAppTemplate

# a direct answer (kind None) that finds the window closed goes as a coach's answer would
ANSWER_KIND = "reply"


def choose(templates: list[WhatsAppTemplate], kind: str,
           language: str) -> WhatsAppTemplate | None:
    """The template for `kind`, in the partner's language when the pack has it."""
    mine = [t for t in templates if t.kind == kind]
    for t in mine:
        if t.language.split("_")[0] == language:
            return t
    return mine[0] if mine else None


def pack_templates(library: PackLibrary, default_pack: str) -> TemplateFor:
    """The template body of a message's kind in the partner's pack (None: it waits)."""

    def template(chat: ChatView, kind: str | None, reply: Reply) -> Json | None:
        pack = library.fallback(chat.pack_id, default_pack)
        found = choose(pack.meta.whatsapp_templates, kind or ANSWER_KIND, chat.language)
        if found is None:
            return None
        lang = found.language.split("_")[0]
        values: list[str] = []
        for source in found.parameters:
            if source == "text":
                values.append(reply.text)
            elif source == "name":
                values.append(chat.name or library.t(pack, lang, "wa_friend"))
            else:
                values.append(library.t(pack, lang, source))
        return template_body(chat.wa_id, found.name, found.language, values)

    return template
