"""Our replies as WhatsApp message bodies, with no I/O: pure functions of a Reply.

WhatsApp shows at most 3 reply buttons (titles of 20 characters) or a list of 10 rows
(titles of 24, a description of 72); more choices become numbered text, answered with the
number. A label is never cut where that loses its meaning: a label too long for a button
moves the reply to a list, whose row keeps the whole label in its description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.markdown import groups
from bot.core import Button, Reply

MAX_TEXT = 4096
MAX_BODY = 1024  # an interactive message's body, and an image's caption
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_PARAMETER = 1024  # a template's text parameter

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Labels:
    """The words the adapter adds itself, in the partner's language."""

    choose: str = "Pilih"  # the button that opens a list (20 characters at most)
    numbered_hint: str = "Balas dengan angkanya."


@dataclass(frozen=True, slots=True)
class Rendered:
    """The message bodies for one reply, sent in order, and the numbered menu the last one
    shows (its payloads, answered by number), if any."""

    bodies: list[Json]
    menu: list[str] | None = None


def to_whatsapp(markdown: str) -> str:
    """Our Markdown subset in WhatsApp's formatting (`*bold*`, `_italic_`)."""
    out: list[str] = []
    for group in groups(markdown):
        inner = "".join(f"_{s.text}_" if s.italic else s.text for s in group)
        out.append(f"*{inner}*" if group[0].bold else inner)
    return "".join(out)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits a long text into parts within `limit`, at paragraph, line or word breaks."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        head = rest[:limit]
        cut = next((i for sep in ("\n\n", "\n", " ") if (i := head.rfind(sep)) > 0), limit)
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest or not parts:
        parts.append(rest)
    return parts


def shorten(label: str, limit: int) -> str:
    """The label within `limit` characters, cut at a word with an ellipsis when too long."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    head = label[:limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,.;:-") + "…"


def _text(to: str, body: str) -> Json:
    return {"type": "text", "text": {"body": body, "preview_url": False}, "to": to}


def _image(to: str, image: str, caption: str | None) -> Json:
    media: Json = {"link": image} if image.startswith(("http://", "https://")) else {"id": image}
    if caption:
        media["caption"] = caption
    return {"type": "image", "image": media, "to": to}


def _fits_buttons(buttons: list[Button]) -> bool:
    titles = [" ".join(b.label.split()) for b in buttons]
    return (len(buttons) <= MAX_BUTTONS and all(0 < len(t) <= MAX_BUTTON_TITLE for t in titles)
            and len(set(titles)) == len(titles))


def _unique_titles(buttons: list[Button], limit: int) -> list[str]:
    """Row titles within `limit`, made distinct (WhatsApp refuses two rows with one title)."""
    titles: list[str] = []
    for i, b in enumerate(buttons, 1):
        title = shorten(b.label, limit) or str(i)
        if title in titles:
            title = shorten(f"{i}. {b.label}", limit)
        titles.append(title)
    return titles


def render(to: str, reply: Reply, labels: Labels = Labels()) -> Rendered:
    """The message bodies that show `reply` to `to`."""
    text = to_whatsapp(reply.text)
    buttons = reply.flat_buttons
    bodies: list[Json] = []
    if not buttons:
        parts = split_text(text)
        if reply.image:
            caption = parts[0] if len(parts) == 1 and len(parts[0]) <= MAX_BODY else None
            bodies.append(_image(to, reply.image, caption))
            if caption is not None or not parts[0]:
                return Rendered(bodies)
        bodies.extend(_text(to, p) for p in parts if p)
        return Rendered(bodies or [_text(to, text or "…")])
    if reply.image:
        bodies.append(_image(to, reply.image, None))
    if len(buttons) > MAX_ROWS:
        numbered = "\n".join(f"{i}. {' '.join(b.label.split())}"
                             for i, b in enumerate(buttons, 1))
        full = f"{text}\n\n{numbered}\n\n_{labels.numbered_hint}_".strip()
        bodies.extend(_text(to, p) for p in split_text(full))
        return Rendered(bodies, menu=[b.payload for b in buttons])
    parts = split_text(text, MAX_BODY) if text.strip() else ["…"]
    bodies.extend(_text(to, p) for p in parts[:-1])
    body = {"text": parts[-1]}
    if _fits_buttons(buttons):
        action: Json = {"buttons": [
            {"type": "reply", "reply": {"id": b.payload, "title": " ".join(b.label.split())}}
            for b in buttons]}
        bodies.append({"type": "interactive", "to": to, "interactive": {
            "type": "button", "body": body, "action": action}})
        return Rendered(bodies)
    rows: list[Json] = []
    for b, title in zip(buttons, _unique_titles(buttons, MAX_ROW_TITLE), strict=True):
        row: Json = {"id": b.payload, "title": title}
        label = " ".join(b.label.split())
        if title != label:  # the whole label stays readable under its short title
            row["description"] = shorten(label, MAX_ROW_DESCRIPTION)
        rows.append(row)
    bodies.append({"type": "interactive", "to": to, "interactive": {
        "type": "list", "body": body,
        "action": {"button": shorten(labels.choose, MAX_BUTTON_TITLE),
                   "sections": [{"rows": rows}]}}})
    return Rendered(bodies)


def template_body(to: str, name: str, language: str, parameters: list[str]) -> Json:
    """A template message: its name, language code and body parameters, in order."""
    template: Json = {"name": name, "language": {"code": language}}
    if parameters:
        template["components"] = [{"type": "body", "parameters": [
            {"type": "text", "text": _parameter(p)} for p in parameters]}]
    return {"type": "template", "template": template, "to": to}


def _parameter(value: str) -> str:
    """A template parameter: WhatsApp refuses new lines, tabs and long runs of spaces."""
    flat = " ".join(to_whatsapp(value).split())
    return shorten(flat, MAX_PARAMETER) if flat else "-"
