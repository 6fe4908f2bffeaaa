"""Features and the router: how one feature plugs into the conversation and the shared views.

A feature is a package under `handlers/` with one `Feature` subclass, listed once in
`FEATURES`. At start-up the app calls every feature's `routes(router)` (commands, buttons,
states, interceptors, events); the shared views ask every feature for its part: where a
partner is (`resume`), `/progress`, `/mydata`, the coaches' digest and cohort report, the
nudge planner's rules and the scheduler's periodic jobs. No feature patches another: a
feature that must react to another's action subscribes to an event (`router.on`).

The router is generic in the context a handler receives (`C`); `Turn` is all it needs of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from bot.core.messages import Inbound, InboundKind, Reply
from bot.core.payloads import ButtonData, parse

log = logging.getLogger(__name__)


class Turn(Protocol):
    """What the router reads of a handler's context."""

    @property
    def state(self) -> str: ...

    @property
    def is_coach(self) -> bool: ...

    def t(self, key: str, /, **values: Any) -> str: ...


C = TypeVar("C", bound=Turn)
S = TypeVar("S")  # the scope of background work (a scheduler tick, a report)
N = TypeVar("N")  # a nudge source, as the planner reads it
BD = TypeVar("BD", bound=ButtonData)

Handler = Callable[[Inbound, C], Awaitable[list[Reply]]]
# returns None to let the message go on to the next stage
Interceptor = Callable[[Inbound, C], Awaitable[list[Reply] | None]]
ButtonHandler = Callable[[Any, Inbound, C], Awaitable[list[Reply]]]
Listener = Callable[[C], Awaitable[None]]


@dataclass
class Command(Generic[C]):
    handler: Handler[C]
    help_key: str | None = None
    coach_only: bool = False
    # listed in /help under the coaches' commands (coach_only commands always are)
    for_coaches: bool = False


class RouteConflict(ValueError):
    """Two features claimed the same command, button kind, state or slot."""


@dataclass
class Router(Generic[C]):
    """Routes an inbound message to the feature that owns it.

    Commands by name; buttons by their typed kind; free text first through the interceptors
    (in FEATURES order), then to the handler of the partner's state, then to the fallback.
    """

    commands: dict[str, Command[C]] = field(default_factory=dict)
    buttons: dict[type[ButtonData], ButtonHandler[C]] = field(default_factory=dict)
    states: dict[str, Interceptor[C]] = field(default_factory=dict)
    interceptors: list[Interceptor[C]] = field(default_factory=list)
    # interceptors that only see what no other took (e.g. the coaches' chat's chatter)
    late_interceptors: list[Interceptor[C]] = field(default_factory=list)
    listeners: dict[str, list[Listener[C]]] = field(default_factory=dict)
    fallback: Handler[C] | None = None
    unknown_command: Handler[C] | None = None
    stale_button: Handler[C] | None = None

    def command(self, *names: str, help_key: str | None = None, coach_only: bool = False,
                for_coaches: bool = False) -> Callable[[Handler[C]], Handler[C]]:
        def deco(fn: Handler[C]) -> Handler[C]:
            for name in names:
                if name in self.commands:
                    raise RouteConflict(f"command /{name} is registered twice")
                self.commands[name] = Command(fn, help_key if name == names[0] else None,
                                              coach_only, for_coaches or coach_only)
            return fn
        return deco

    def button(self, kind: type[BD]) -> Callable[[Callable[[BD, Inbound, C], Awaitable[
            list[Reply]]]], Callable[[BD, Inbound, C], Awaitable[list[Reply]]]]:
        def deco(fn: Callable[[BD, Inbound, C], Awaitable[list[Reply]]]) -> Callable[
                [BD, Inbound, C], Awaitable[list[Reply]]]:
            if kind in self.buttons:
                raise RouteConflict(f"button {kind.__name__} is handled twice")
            self.buttons[kind] = fn
            return fn
        return deco

    def state(self, *states: str) -> Callable[[Interceptor[C]], Interceptor[C]]:
        def deco(fn: Interceptor[C]) -> Interceptor[C]:
            for st in states:
                if str(st) in self.states:
                    raise RouteConflict(f"state {st} is claimed twice")
                self.states[str(st)] = fn
            return fn
        return deco

    def intercept(self, fn: Interceptor[C]) -> Interceptor[C]:
        self.interceptors.append(fn)
        return fn

    def intercept_late(self, fn: Interceptor[C]) -> Interceptor[C]:
        """An interceptor that runs after every other one, before the partner's state."""
        self.late_interceptors.append(fn)
        return fn

    def on(self, event: str) -> Callable[[Listener[C]], Listener[C]]:
        """Subscribes to an event another feature emits (e.g. "menu": the partner went to
        the menu)."""
        def deco(fn: Listener[C]) -> Listener[C]:
            self.listeners.setdefault(event, []).append(fn)
            return fn
        return deco

    async def emit(self, event: str, ctx: C) -> None:
        for fn in self.listeners.get(event, ()):
            await fn(ctx)

    def set(self, slot: str, fn: Handler[C]) -> None:
        """Fills one of the single slots: fallback, unknown_command, stale_button."""
        if slot not in ("fallback", "unknown_command", "stale_button"):
            raise ValueError(f"no router slot {slot!r}")
        if getattr(self, slot) is not None:
            raise RouteConflict(f"router slot {slot} is filled twice")
        setattr(self, slot, fn)

    async def run_command(self, name: str, msg: Inbound, ctx: C) -> list[Reply]:
        """Runs a command as if it was typed (a button that leads to another feature's
        command, e.g. the menu's "my progress")."""
        cmd = self.commands.get(name)
        if cmd is None:
            assert self.unknown_command is not None
            return await self.unknown_command(msg, ctx)
        return await cmd.handler(msg, ctx)

    async def dispatch(self, msg: Inbound, ctx: C) -> list[Reply]:
        if msg.kind is InboundKind.COMMAND and msg.command is not None:
            cmd = self.commands.get(msg.command)
            if cmd is None:
                assert self.unknown_command is not None
                return await self.unknown_command(msg, ctx)
            if cmd.coach_only and not ctx.is_coach:
                return [Reply(ctx.t("coach_only"))]
            return await cmd.handler(msg, ctx)
        if msg.kind is InboundKind.BUTTON:
            data = parse(msg.payload)
            handler = self.buttons.get(type(data)) if data is not None else None
            if data is None or handler is None:
                log.info("unusable button payload %r", msg.payload)
                assert self.stale_button is not None
                return await self.stale_button(msg, ctx)
            return await handler(data, msg, ctx)
        for intercept in [*self.interceptors, *self.late_interceptors]:
            replies = await intercept(msg, ctx)
            if replies is not None:
                return replies
        state_handler = self.states.get(ctx.state)
        if state_handler is not None:
            replies = await state_handler(msg, ctx)
            if replies is not None:
                return replies
        assert self.fallback is not None
        return await self.fallback(msg, ctx)


@dataclass(frozen=True)
class Job(Generic[S]):
    """Periodic background work a feature hands to the scheduler (run once per interval, in
    its own transaction, with a scope)."""

    name: str
    # seconds, or the name of the setting that holds them (e.g. "planner_interval")
    every: float | str
    run: Callable[[S], Awaitable[None]]


@dataclass(frozen=True)
class DataSection:
    """One kind of data a feature holds about a partner, for /mydata and its export."""

    key: str
    lines: list[str]
    export: Any


@dataclass(frozen=True)
class ReportGroup:
    """One group of the cohort report: a cohort (or the partners without one) and its pack."""

    code: str
    pack_id: str
    partner_ids: tuple[int, ...]


@dataclass(frozen=True)
class ReportRow:
    """One figure of a report section, for the CSV export and the terminal's table."""

    metric: str  # e.g. module_finished
    item: str  # e.g. the module id
    value: str
    after: str = ""
    count: str = ""
    shown: str = ""  # the value as a coach reads it in a table ("67% of 3")


@dataclass(frozen=True)
class ReportSection:
    """What one feature adds to one group's cohort report: a heading and lines for chat,
    rows for the CSV and the table."""

    title: str
    lines: list[str]
    rows: list[ReportRow]


class Feature(Generic[C, S, N]):
    """One feature's contributions; override what the feature has, the rest is empty."""

    name: ClassVar[str] = ""

    def routes(self, router: Router[C]) -> None:
        """Registers commands, buttons, states, interceptors and event listeners."""

    async def resume(self, ctx: C) -> list[Reply] | None:
        """The partner's place, when one of this feature's states holds them."""
        return None

    async def place(self, ctx: C, lang: str) -> str | None:
        """Where the partner is, in words for a coach (in `lang`), when this feature holds
        them."""
        return None

    async def progress(self, ctx: C) -> list[Reply]:
        """What /progress shows of this feature."""
        return []

    async def my_data(self, ctx: C) -> list[DataSection]:
        """What this feature stores about the partner (/mydata and its export)."""
        return []

    async def digest(self, scope: S, lang: str) -> list[str]:
        """Lines for the coaches' daily digest."""
        return []

    async def report(self, scope: S, groups: Sequence[ReportGroup],
                     lang: str) -> dict[str, list[ReportSection]]:
        """Sections of the cohort report, per group code."""
        return {}

    def nudges(self) -> Sequence[N]:
        """Nudge sources handed to the planner at start-up."""
        return ()

    def jobs(self) -> Sequence[Job[S]]:
        """Periodic jobs handed to the scheduler at start-up."""
        return ()

    async def forget(self, ctx: C) -> None:
        """Erases what this feature keeps about the partner beyond their own rows (which go
        with the partner): copies addressed to others, such as the coaches' chat."""
