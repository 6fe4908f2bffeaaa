"""Telegram's entity parsing, strict: HTML and MarkdownV2 to plain text plus entities.

Telegram answers 400 "can't parse entities" for text a client escaped badly; so does this.
Offsets and lengths are in UTF-16 code units, like Telegram's.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]


class EntityParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode())


# --- HTML ------------------------------------------------------------------------------------

_ATTR_VALUE = r"""(?:"[^"]*"|'[^']*'|[^\s"'>]+)"""
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*"
                  + _ATTR_VALUE + r")?)*)\s*>")
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_HTML_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler", "span": "spoiler",
    "blockquote": "blockquote",
}


def parse_html(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, Entity]] = []
    entities: list[Entity] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                raise EntityParseError(f"Unsupported start tag at byte offset "
                                       f"{_byte_offset(text, i)}")
            closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
            if name not in _HTML_TYPES:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset '
                                       f"{_byte_offset(text, i)}")
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "none"
                    raise EntityParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "
                        f'{expected}, found "</{name}>"')
                _, entity = stack.pop()
                entity["length"] = u16 - entity["offset"]
                if entity["length"] > 0:
                    entities.append(entity)
            else:
                found = {a.group(1).lower(): (a.group(2) or "").strip("\"'")
                         for a in _ATTR.finditer(attrs)}
                entity = {"type": _HTML_TYPES[name], "offset": u16}
                if name == "a":
                    if not found.get("href"):
                        raise EntityParseError("Can't parse entities: a tag without href")
                    entity["url"] = found["href"]
                if name == "span" and found.get("class") != "tg-spoiler":
                    raise EntityParseError('Tag "span" must have class "tg-spoiler"')
                stack.append((name, entity))
            i = m.end()
            continue
        if ch == "&":
            m = _HTML_ENTITY.match(text, i)
            if m is None:
                raise EntityParseError(f"Unsupported HTML entity at byte offset "
                                       f"{_byte_offset(text, i)}")
            if m.group(1):
                char = _NAMED[m.group(1)]
            else:
                code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
                if not 0 < code <= 0x10FFFF:
                    raise EntityParseError("Invalid numeric HTML entity")
                char = chr(code)
            out.append(char)
            u16 += utf16_len(char)
            i = m.end()
            continue
        if ch == ">":
            raise EntityParseError(f"Unexpected \">\" at byte offset {_byte_offset(text, i)}; "
                                   f"use &gt;")
        out.append(ch)
        u16 += utf16_len(ch)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --- MarkdownV2 ------------------------------------------------------------------------------

_RESERVED = set("_*[]()~`>#+-=|{}.!\\")
_MARKS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, int, int]] = []  # mark, u16 offset, source index
    entities: list[Entity] = []
    i = 0

    def emit(s: str) -> None:
        nonlocal u16
        out.append(s)
        u16 += utf16_len(s)

    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or not 1 <= ord(text[i + 1]) <= 126:
                raise EntityParseError(f"Can't parse entities: bad escape at byte offset "
                                       f"{_byte_offset(text, i)}")
            emit(text[i + 1])
            i += 2
            continue
        if ch == "`":
            fence = text.startswith("```", i)
            start = i + (3 if fence else 1)
            end = text.find("```" if fence else "`", start)
            while end != -1 and text[end - 1] == "\\":
                end = text.find("```" if fence else "`", end + 1)
            if end == -1:
                raise EntityParseError(f"Can't find end of the entity starting at byte offset "
                                       f"{_byte_offset(text, i)}")
            body = text[start:end]
            language = ""
            if fence and "\n" in body:
                language, body = body.split("\n", 1)
            body = re.sub(r"\\([`\\])", r"\1", body)
            entity: Entity = {"type": "pre" if fence else "code", "offset": u16}
            if language:
                entity["language"] = language
            emit(body)
            entity["length"] = u16 - entity["offset"]
            if entity["length"]:
                entities.append(entity)
            i = end + (3 if fence else 1)
            continue
        mark = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else ch
        if mark in _MARKS:
            open_at = next((k for k, s in enumerate(stack) if s[0] == mark), None)
            if open_at is None:
                stack.append((mark, u16, i))
            else:
                if open_at != len(stack) - 1:
                    raise EntityParseError(f"Can't parse entities: entities overlap at byte "
                                           f"offset {_byte_offset(text, i)}")
                _, start_u16, _ = stack.pop()
                if u16 > start_u16:
                    entities.append({"type": _MARKS[mark], "offset": start_u16,
                                     "length": u16 - start_u16})
            i += len(mark)
            continue
        if ch == "[":
            stack.append(("[", u16, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            m = re.compile(r"\(((?:[^)\\]|\\.)*)\)").match(text, i + 1)
            if m is None:
                raise EntityParseError(f"Can't parse entities: link without url at byte offset "
                                       f"{_byte_offset(text, i)}")
            _, start_u16, _ = stack.pop()
            entities.append({"type": "text_link", "offset": start_u16,
                             "length": u16 - start_u16,
                             "url": re.sub(r"\\(.)", r"\1", m.group(1))})
            i = m.end()
            continue
        if ch in _RESERVED:
            raise EntityParseError(f"Character '{ch}' is reserved and must be escaped with the "
                                   f"preceding '\\'")
        emit(ch)
        i += 1
    if stack:
        raise EntityParseError(f"Can't find end of the entity starting at byte offset "
                               f"{_byte_offset(text, stack[-1][2])}")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def parse(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")
