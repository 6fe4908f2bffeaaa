"""The router hands each message to the feature that owns it: a command by name, a button by
its typed kind, free text through interceptors, then the partner's state, then the fallback.
Two features can never claim the same command, button, state or slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.core import Inbound, Reply
from bot.core.feature import RouteConflict, Router
from bot.core.payloads import ButtonData, button


@dataclass
class Turn:
    """The least a handler's context must be for the router."""

    state: str = "menu"
    is_coach: bool = False
    seen: list[str] = field(default_factory=list)

    def t(self, key: str, /, **values: Any) -> str:
        return f"<{key}>"


@button("zt")
@dataclass(frozen=True, slots=True)
class Tap(ButtonData):
    n: int


def _router() -> Router[Turn]:
    router: Router[Turn] = Router()

    async def hello(msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply(f"hello {msg.args}")]

    async def secret(msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply("coach stuff")]

    async def tap(data: Tap, msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply(f"tap {data.n + 1}")]

    async def in_quiz(msg: Inbound, ctx: Turn) -> list[Reply] | None:
        return [Reply("an answer")] if msg.text.strip().isalpha() else None

    async def fallback(msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply("a question for the FAQ")]

    async def stale(msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply("old button")]

    async def unknown(msg: Inbound, ctx: Turn) -> list[Reply]:
        return [Reply("no such command")]

    router.command("hello", "halo")(hello)
    router.command("secret", coach_only=True)(secret)
    router.button(Tap)(tap)
    router.state("quiz")(in_quiz)
    router.set("fallback", fallback)
    router.set("stale_button", stale)
    router.set("unknown_command", unknown)
    return router


async def _say(router: Router[Turn], msg: Inbound, ctx: Turn | None = None) -> str:
    return "\n".join(r.text for r in await router.dispatch(msg, ctx or Turn()))


async def test_commands_and_their_aliases_reach_their_handler() -> None:
    router = _router()
    assert await _say(router, Inbound.from_text("t", "u", "/hello Sari")) == "hello Sari"
    assert await _say(router, Inbound.from_text("t", "u", "/halo@coachbot Budi")) == "hello Budi"
    assert await _say(router, Inbound.from_text("t", "u", "/nope")) == "no such command"


async def test_a_coach_command_is_refused_to_partners() -> None:
    router = _router()
    msg = Inbound.from_text("t", "u", "/secret")
    assert await _say(router, msg) == "<coach_only>"
    assert await _say(router, msg, Turn(is_coach=True)) == "coach stuff"


async def test_a_button_reaches_its_kind_typed_and_a_forged_one_is_stale() -> None:
    router = _router()
    assert await _say(router, Inbound.button("t", "u", Tap(41).pack())) == "tap 42"
    assert await _say(router, Inbound.button("t", "u", "zt1:notanumber")) == "old button"
    assert await _say(router, Inbound.button("t", "u", "qq9:x")) == "old button"


async def test_free_text_goes_to_the_state_first_then_to_the_fallback() -> None:
    router = _router()
    quiz = Turn(state="quiz")
    assert await _say(router, Inbound.from_text("t", "u", "B"), quiz) == "an answer"
    assert await _say(router, Inbound.from_text("t", "u", "2 + 2?"), quiz) == (
        "a question for the FAQ")
    assert await _say(router, Inbound.from_text("t", "u", "B")) == "a question for the FAQ"


async def test_an_interceptor_sees_free_text_before_the_state() -> None:
    router = _router()

    async def thread(msg: Inbound, ctx: Turn) -> list[Reply] | None:
        return [Reply("to the coach")] if "coach" in msg.text else None

    router.intercept(thread)
    quiz = Turn(state="quiz")
    assert await _say(router, Inbound.from_text("t", "u", "coach"), quiz) == "to the coach"
    assert await _say(router, Inbound.from_text("t", "u", "B"), quiz) == "an answer"


async def test_events_reach_every_listener_in_order() -> None:
    router: Router[Turn] = Router()

    async def first(ctx: Turn) -> None:
        ctx.seen.append("first")

    async def second(ctx: Turn) -> None:
        ctx.seen.append("second")

    router.on("menu")(first)
    router.on("menu")(second)
    ctx = Turn()
    await router.emit("menu", ctx)
    await router.emit("nobody-listens", ctx)
    assert ctx.seen == ["first", "second"]


def test_no_two_features_claim_the_same_route() -> None:
    router = _router()

    async def other(msg: Inbound, ctx: Turn) -> list[Reply]:
        return []

    async def other_button(data: Tap, msg: Inbound, ctx: Turn) -> list[Reply]:
        return []

    with pytest.raises(RouteConflict):
        router.command("halo")(other)
    with pytest.raises(RouteConflict):
        router.button(Tap)(other_button)
    with pytest.raises(RouteConflict):
        router.state("quiz")(other)  # type: ignore[arg-type]
    with pytest.raises(RouteConflict):
        router.set("fallback", other)
