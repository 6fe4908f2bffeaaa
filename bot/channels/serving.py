"""`coachbot run` on the network channels: all the configured ones in one process.

They share what must be one per process: the conversation core and its database, the
scheduler that sends the outbox through every channel, and the webhook listener (one port;
each channel adds its own path). A channel contributes two steps: `connect(settings)` checks
its credentials before anything else starts, and `Connection.attach(app)` binds it to the
built app as a `Server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.config import Settings
from bot.core import OutboundChannel
from bot.ops.http import Ops
from bot.runtime import background_services, build_app

if TYPE_CHECKING:
    from bot.app import CoachBot
    from bot.channels import ChannelSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Route:
    """A webhook endpoint a channel serves on the shared listener."""

    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    method: str = "POST"


class Server(Protocol):
    """A network channel bound to the running app."""

    @property
    def channel(self) -> OutboundChannel:
        """What the scheduler's dispatcher sends through."""
        ...

    def routes(self) -> Sequence[Route]:
        """Its webhook endpoints; none when it fetches its updates itself (polling)."""
        ...

    async def serve(self, stop: asyncio.Event, port: int | None = None) -> None:
        """Serves until `stop` is set; `port` is the shared listener's, once it listens."""
        ...


class Connection(Protocol):
    """A network channel whose credentials were accepted; nothing else has started yet."""

    def attach(self, app: CoachBot) -> Server: ...

    async def close(self) -> None: ...


def parse_listen(value: str) -> tuple[str, int]:
    """COACHBOT_WEBHOOK_LISTEN as (host, port)."""
    host, _, port = value.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"COACHBOT_WEBHOOK_LISTEN must be host:port, not {value!r}")
    return host, int(port)


@contextlib.asynccontextmanager
async def listening(listen: str, routes: Sequence[Route]) -> AsyncIterator[int]:
    """Serves the routes on `listen` (host:port; port 0 picks a free one); yields the port."""
    host, port = parse_listen(listen)
    web_app = web.Application()
    for route in routes:
        web_app.router.add_route(route.method, route.path, route.handler)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def serve_network(settings: Settings, specs: Sequence[ChannelSpec],
                        stop: asyncio.Event | None = None, *, background: bool = True) -> None:
    """Serves the channels of `specs` until SIGINT/SIGTERM (or `stop`).

    Every channel connects before the app is built, so a refused credential ends with its
    channel's one clear ValueError (the CLI prints it and exits non-zero) and no database is
    touched.
    """
    stop = stop or asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        connections: list[Connection] = []
        for spec in specs:
            assert spec.connect is not None, f"{spec.name} is not a network channel"
            connection = await spec.connect(settings)
            stack.push_async_callback(connection.close)
            connections.append(connection)
        app = await build_app(settings)
        stack.push_async_callback(app.db.dispose)
        servers = [c.attach(app) for c in connections]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if background:  # `coachbot run --role web` leaves the schedule to other processes
            await stack.enter_async_context(
                background_services(app, {s.channel.name: s.channel for s in servers}))
        ops = Ops(app)
        routes = [r for s in servers for r in s.routes()]
        port = (await stack.enter_async_context(
            listening(settings.webhook_listen, [*routes, *ops_routes(ops)])) if routes else None)
        if port is None and settings.metrics_listen:  # polling: health and metrics apart
            await stack.enter_async_context(listening(settings.metrics_listen, ops_routes(ops)))
        stop_watch = asyncio.create_task(_drain_on(stop, ops))
        try:
            await _serve_all(servers, stop, port)
        finally:
            stop_watch.cancel()


def ops_routes(ops: Ops) -> list[Route]:
    return [Route(path, handler, method="GET") for path, handler in ops.endpoints()]


async def _drain_on(stop: asyncio.Event, ops: Ops) -> None:
    await stop.wait()
    ops.draining.set()
    log.info("shutting down: no new updates; finishing the ones in progress")


async def _serve_all(servers: Sequence[Server], stop: asyncio.Event, port: int | None) -> None:
    """Runs every server until `stop`; one that fails stops the others, and its error is
    raised once all have stopped."""
    tasks = [asyncio.create_task(s.serve(stop, port)) for s in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        stop.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
