"""The Markdown subset is read once, the same way for every channel."""

from __future__ import annotations

import pytest

from bot.channels.console import to_rich
from bot.channels.markdown import Span, groups, spans
from bot.channels.telegram.common import to_html


def test_bold_italic_and_plain_spans() -> None:
    assert list(spans("Halo *Sari*, _siap_?")) == [
        Span("Halo "), Span("Sari", bold=True), Span(", "), Span("siap", italic=True),
        Span("?")]
    assert list(spans("*bold _and italic_ inside*")) == [
        Span("bold ", bold=True), Span("and italic", bold=True, italic=True),
        Span(" inside", bold=True)]
    assert list(spans("")) == []


@pytest.mark.parametrize("plain", ["2 * 3 * 4", "snake_case_name", "*_[`\\", "* a*", "_ a_",
                                   "*two\nlines*"])
def test_what_is_not_our_markup_stays_plain(plain: str) -> None:
    assert list(spans(plain)) == [Span(plain)]


def test_two_bold_runs_side_by_side_stay_two() -> None:
    assert [[s.text for s in g] for g in groups("*a**b*")] == [["a"], ["b"]]


@pytest.mark.parametrize("markdown, html", [
    ("Halo *Sari*, _siap_?", "Halo <b>Sari</b>, <i>siap</i>?"),
    ("*x _y_ z*", "<b>x <i>y</i> z</b>"),
    ("*a**b*", "<b>a</b><b>b</b>"),
    ("*a _b* c_", "<b>a _b</b> c_"),
    ("_a_ *b* _c_", "<i>a</i> <b>b</b> <i>c</i>"),
    ("2 * 3 * 4 < 5 & snake_case_name", "2 * 3 * 4 &lt; 5 &amp; snake_case_name"),
    ("*_[`\\ <b>&amp;", "*_[`\\ &lt;b&gt;&amp;amp;"),
    ("", ""),
])
def test_telegram_html_is_what_it_was_before_the_shared_parser(markdown: str,
                                                               html: str) -> None:
    assert to_html(markdown) == html


def test_the_console_shows_the_same_spans_and_nothing_else_as_markup() -> None:
    text = to_rich("Halo *Sari*, _siap_? [red]x[/red] :smile:")
    assert text.plain == "Halo Sari, siap? [red]x[/red] :smile:"
    assert [(text.plain[s.start:s.end], str(s.style)) for s in text.spans] == [
        ("Sari", "bold"), ("siap", "italic")]


def test_an_example_in_backticks_is_code_on_every_channel() -> None:
    assert list(spans("e.g. `25/11/2026 19:00`")) == [Span("e.g. "),
                                                    Span("25/11/2026 19:00", code=True)]
    assert to_html("type `25/11/2026 19:00`") == "type <code>25/11/2026 19:00</code>"
    assert to_rich("type `25/11`").plain == "type 25/11"
