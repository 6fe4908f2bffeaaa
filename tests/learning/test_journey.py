"""A partner's whole journey, from /start to the before/after comparison."""

from __future__ import annotations

from tests.fixtures.chat import Chat


async def test_partner_goes_from_start_to_readiness_comparison(chat: Chat) -> None:
    await chat.send("/start")
    assert "digital coach" in chat.text or "coach digital" in chat.text
    await chat.press("English")
    assert "What should I call you" in chat.text
    await chat.send("Sari")
    await chat.press("🎓")
    await chat.press("WITA")
    assert "1/2" in chat.text
    await chat.press("2")
    await chat.press("3")
    assert "Your modules" in chat.text

    await chat.press("Program basics")
    assert "step 1/3" in chat.text
    await chat.press("Next")
    assert "Why did you join" in chat.text
    await chat.send("I want extra income for my studies")
    assert "Thank you for sharing" in chat.text
    assert "step 3/3" in chat.text
    await chat.press("Follower count")
    assert "Not quite" in chat.text and "followers alone" in chat.text
    await chat.press("Try again")
    await chat.press("Completed bookings")
    assert "right" in chat.text
    await chat.press("Next")
    assert "You finished" in chat.text
    await chat.press("Module quiz")
    await chat.press("Likes")
    await chat.press("Nobody")
    assert "Not a pass" in chat.text and "The right answer: Bookings" in chat.text
    await chat.press("Retake")
    await chat.press("Bookings")
    await chat.press("The coach")
    assert "Passed" in chat.text

    await chat.press("Promotion")
    await chat.press("Next")
    await chat.send("Students at my campus")
    assert "You finished" in chat.text
    await chat.press("Menu")
    await chat.press("Final readiness quiz")
    await chat.press("Twin dates")
    await chat.press("The coach")
    assert "You're ready to start" in chat.text
    await chat.press("4")
    await chat.press("5")
    assert "before → after" in chat.text
    assert "2 → 4 (+2)" in chat.text and "3 → 5 (+2)" in chat.text
