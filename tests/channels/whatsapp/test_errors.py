"""WhatsApp's documented errors, each mapped to what delivery does next."""

from __future__ import annotations

from bot.channels.whatsapp.graph import error_of, result_of
from bot.core import SendStatus


def outcome(code: int, status: int = 400) -> tuple[SendStatus, float]:
    error = error_of(status, {"error": {"code": code, "message": f"error {code}"}})
    result = result_of(error)
    return result.status, result.retry_after


def test_the_numbers_throughput_and_the_pair_rate_are_retried_after_a_pause() -> None:
    assert outcome(130429) == (SendStatus.RETRY_AFTER, 1.0)
    assert outcome(131056) == (SendStatus.RETRY_AFTER, 6.0)


def test_outside_the_window_waits_for_a_template_or_the_partner() -> None:
    assert outcome(131047)[0] is SendStatus.WAIT


def test_an_undeliverable_number_is_unreachable() -> None:
    assert outcome(131026)[0] is SendStatus.BLOCKED


def test_anything_else_is_a_failure_retried_with_backoff() -> None:
    assert outcome(131009)[0] is SendStatus.FAILED
    assert result_of(error_of(502, "<html>Bad gateway</html>")).status is SendStatus.FAILED
