"""The Markdown subset every reply is written in — `*bold*`, `_italic_`, `` `code` ``, plain
lines — parsed
once here, so each adapter only renders the spans (Telegram as HTML, the console as rich text)
and all of them read the same text the same way.

Anything else is plain text, shown as typed: a partner's name like `*_[` never breaks a
message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_BOLD = re.compile(r"\*(?=\S)([^*\n]+?)\*")
# not inside a word, so snake_case_names stay plain
_ITALIC = re.compile(r"(?<![\w])_(?=\S)([^_\n]+?)_(?![\w])")
# an example to type (`25/11/2026 19:00`): shown as typed, never read as bold or italic
_CODE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


def _italics(segment: str, bold: bool) -> list[Span]:
    out: list[Span] = []
    pos = 0
    for m in _CODE.finditer(segment):
        out += _plain_italics(segment[pos:m.start()], bold)
        out.append(Span(m.group(1), bold, code=True))
        pos = m.end()
    return out + _plain_italics(segment[pos:], bold)


def _plain_italics(segment: str, bold: bool) -> list[Span]:
    out: list[Span] = []
    pos = 0
    for m in _ITALIC.finditer(segment):
        if m.start() > pos:
            out.append(Span(segment[pos:m.start()], bold))
        out.append(Span(m.group(1), bold, italic=True))
        pos = m.end()
    if pos < len(segment):
        out.append(Span(segment[pos:], bold))
    return out


def groups(markdown: str) -> Iterator[list[Span]]:
    """The text as groups of spans: each `*bold*` is one group, and so is the plain text
    between two of them.

    Italics are looked for inside and between bold groups separately, so a renderer that
    wraps a bold group in one tag always nests its tags; two bold groups side by side
    (`*a**b*`) stay two. Empty groups are left out.
    """
    pos = 0
    for m in _BOLD.finditer(markdown):
        if m.start() > pos:
            yield _italics(markdown[pos:m.start()], bold=False)
        yield _italics(m.group(1), bold=True)
        pos = m.end()
    if pos < len(markdown):
        yield _italics(markdown[pos:], bold=False)


def spans(markdown: str) -> Iterator[Span]:
    """The text's styled spans in order, for renderers that style each span on its own."""
    for group in groups(markdown):
        yield from group
