"""The library-free part of the adapters: rendering, splitting, and what an update means."""

from __future__ import annotations

import pytest

from bot.channels.telegram.common import (
    GroupPointer,
    TgUpdate,
    route,
    split_text,
    to_html,
    utf16_len,
)
from bot.core import InboundKind
from tests.fakes.telegram_text import parse_html


@pytest.mark.parametrize("markdown, plain", [
    ("Halo *Sari*, _siap_?", "Halo Sari, siap?"),
    ("*_[`\\ <b>&amp;", "*_[`\\ <b>&amp;"),
    ("*a _b* c_", "a _b c_"),
    ("2 * 3 * 4 < 5 & snake_case_name", "2 * 3 * 4 < 5 & snake_case_name"),
    ("*bold _and italic_ inside*", "bold and italic inside"),
])
def test_markdown_subset_renders_to_html_telegram_accepts(markdown: str, plain: str) -> None:
    text, _ = parse_html(to_html(markdown))
    assert text == plain


def test_long_texts_split_on_paragraphs_then_lines_then_words() -> None:
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 100]
    assert split_text("\n\n".join(paragraphs)) == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]
    one_line = " ".join(["kata"] * 2000)
    parts = split_text(one_line)
    assert all(utf16_len(p) <= 4096 for p in parts) and " ".join(parts) == one_line
    emoji = "😀" * 3000  # two UTF-16 units each, as Telegram counts
    assert [utf16_len(p) for p in split_text(emoji)] == [4096, 1904]
    assert split_text("") == [""]


def _update(**kw: object) -> TgUpdate:
    base: dict[str, object] = {"update_id": 9, "chat_id": 5, "chat_type": "private",
                               "user_id": 5, "text": "hi", "message_id": 3}
    base.update(kw)
    return TgUpdate(**base)  # type: ignore[arg-type]


def test_what_updates_mean_to_the_core() -> None:
    msg = route(_update(text="/start@coach_test_bot MEI24"), "coach_test_bot", None)
    assert msg is not None and not isinstance(msg, GroupPointer)
    assert (msg.kind, msg.command, msg.args, msg.update_id) == (
        InboundKind.COMMAND, "start", "MEI24", "9")
    press = route(_update(text=None, callback_id="q", callback_data="o1:lang:en"),
                  "coach_test_bot", None)
    assert press is not None and not isinstance(press, GroupPointer)
    assert (press.kind, press.payload, press.message_ref) == (InboundKind.BUTTON,
                                                              "o1:lang:en", "3")
    sticker = route(_update(text=None), "coach_test_bot", None)
    assert sticker is not None and not isinstance(sticker, GroupPointer)
    assert sticker.text == "", "the core answers non-text kindly"

    group = {"chat_id": -100, "chat_type": "supergroup"}
    assert route(_update(text="hello", **group), "coach_test_bot", None) is None
    assert route(_update(text="/start@other_bot", **group), "coach_test_bot", None) is None
    assert isinstance(route(_update(text="/help", **group), "coach_test_bot", None),
                      GroupPointer)
    coaches = route(_update(text="jawaban", reply_to_message_id=77, **group),
                    "coach_test_bot", "-100")
    assert coaches is not None and not isinstance(coaches, GroupPointer)
    assert coaches.is_group and coaches.reply_to_ref == "77" and coaches.chat_id == "-100"
    assert route(_update(user_is_bot=True), "coach_test_bot", None) is None
