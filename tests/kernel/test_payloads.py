"""Buttons carry typed payloads: packed within Telegram's 64 bytes, read back exactly, and
anything forged, malformed or from another version is refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.payloads import ButtonData, PayloadError, button, kinds, parse
from handlers.learning.buttons import AnswerButton, MenuButton, RatingButton, StepButton


def test_a_step_button_packs_and_parses_back_with_its_named_fields() -> None:
    data = StepButton("promo", "s3", "next")
    assert data.pack() == "s1:promo:s3:next"
    assert parse(data.pack()) == data


def test_trailing_optional_fields_are_left_out_and_come_back_as_defaults() -> None:
    assert MenuButton("home").pack() == "m1:home"
    assert parse("m1:home") == MenuButton("home", None)
    assert parse("m1:open:basics") == MenuButton("open", "basics")


def test_integer_fields_are_checked() -> None:
    assert parse("qa1:12:q1:a") == AnswerButton(12, "q1", "a")
    assert parse("qa1:abc:q1:a") is None
    assert parse("qa1:99999999999:q1:a") is None  # no giant numbers into SQL


@pytest.mark.parametrize("forged", [
    "", "m2:home", "zz1:x", "s1:promo:s3", "s1:a:b:c:d", "m1:ho me", "m1:<b>", "m1:" + "x" * 70,
    "s1:promo:s3:next\n", "M1:home", "qa1::q1:a",
])
def test_forged_or_malformed_payloads_are_refused(forged: str) -> None:
    assert parse(forged) is None


def test_a_payload_that_would_not_fit_is_refused_when_packed() -> None:
    with pytest.raises(PayloadError):
        StepButton("m" * 30, "s" * 30, "next").pack()
    with pytest.raises(PayloadError):
        RatingButton("before", "has space", "3").pack()


def test_two_button_kinds_cannot_share_a_prefix() -> None:
    with pytest.raises(ValueError, match="taken"):
        @button("m")
        @dataclass(frozen=True, slots=True)
        class Other(ButtonData):
            x: str

    assert kinds()["m"] is MenuButton
