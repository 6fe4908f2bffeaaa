"""A partner who finished the promotion module, and the coaches' chat on the console."""

from __future__ import annotations

from tests.faq.conftest import coach
from tests.fixtures.chat import Chat

__all__ = ["coach", "finish_promotion"]


async def finish_promotion(chat: Chat, name: str = "Sari") -> None:
    """Onboards and works through both modules of the example pack (promo unlocks the
    missions)."""
    await chat.onboard(name=name)
    await chat.press("Program basics")
    await chat.press("Next")
    await chat.send("extra income")
    await chat.press("Completed bookings")
    await chat.press("Next")
    await chat.press("Menu")
    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    assert "You finished" in chat.text
