"""Routes an inbound message to the feature that owns it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core import Inbound, InboundKind, Reply
from bot.storage.models import ConvState
from handlers.context import Context
from handlers.payloads import Payload, parse

log = logging.getLogger(__name__)

Handler = Callable[[Inbound, Context], Awaitable[list[Reply]]]
ButtonHandler = Callable[[Payload, Inbound, Context], Awaitable[list[Reply]]]
# returns None to let the message go on to the next stage
Interceptor = Callable[[Inbound, Context], Awaitable[list[Reply] | None]]


@dataclass
class Command:
    handler: Handler
    help_key: str | None = None
    coach_only: bool = False
    # listed in /help under the coaches' commands (coach_only commands always are)
    for_coaches: bool = False


@dataclass
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    # free text while in a state; a handler returns None when the text is not its answer
    states: dict[ConvState, Interceptor] = field(default_factory=dict)
    # run before state handlers for free text (e.g. an open coach ticket)
    interceptors: list[Interceptor] = field(default_factory=list)
    # free text no state is waiting for (the FAQ engine, or a gentle pointer to the menu)
    fallback: Handler | None = None
    unknown_command: Handler | None = None
    stale_button: Handler | None = None

    def command(self, *names: str, help_key: str | None = None, coach_only: bool = False,
                for_coaches: bool = False) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for name in names:
                self.commands[name] = Command(fn, help_key if name == names[0] else None,
                                              coach_only, for_coaches or coach_only)
            return fn
        return deco

    def button(self, kind: str) -> Callable[[ButtonHandler], ButtonHandler]:
        def deco(fn: ButtonHandler) -> ButtonHandler:
            self.buttons[kind] = fn
            return fn
        return deco

    def state(self, *states: ConvState) -> Callable[[Interceptor], Interceptor]:
        def deco(fn: Interceptor) -> Interceptor:
            for st in states:
                self.states[st] = fn
            return fn
        return deco

    async def dispatch(self, msg: Inbound, ctx: Context) -> list[Reply]:
        if msg.kind is InboundKind.COMMAND and msg.command is not None:
            cmd = self.commands.get(msg.command)
            if cmd is None:
                assert self.unknown_command is not None
                return await self.unknown_command(msg, ctx)
            if cmd.coach_only and ctx.partner.role not in ("coach", "admin"):
                return [Reply(ctx.t("coach_only"))]
            return await cmd.handler(msg, ctx)
        if msg.kind is InboundKind.BUTTON:
            payload = parse(msg.payload)
            handler = self.buttons.get(payload.kind) if payload else None
            if payload is None or handler is None:
                log.info("unusable button payload %r", msg.payload,
                         extra={"partner_id": ctx.partner.id})
                assert self.stale_button is not None
                return await self.stale_button(msg, ctx)
            return await handler(payload, msg, ctx)
        for intercept in self.interceptors:
            replies = await intercept(msg, ctx)
            if replies is not None:
                return replies
        state_handler = self.states.get(ctx.partner.state)
        if state_handler is not None:
            replies = await state_handler(msg, ctx)
            if replies is not None:
                return replies
        assert self.fallback is not None
        return await self.fallback(msg, ctx)
