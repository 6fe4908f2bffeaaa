"""Serves the dashboard on COACHBOT_DASHBOARD_LISTEN: beside the bot, or alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from bot.app import CoachBot
from bot.web.app import create_app

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # the bot's runner owns Ctrl-C and SIGTERM; it stops the dashboard with the rest
        yield


def listen_socket(listen: str) -> socket.socket:
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    sock.set_inheritable(True)
    return sock


async def serve(app: CoachBot, stop: asyncio.Event, sock: socket.socket | None = None) -> None:
    """Serves the dashboard until `stop` is set."""
    sock = sock or listen_socket(app.settings.dashboard_listen)
    config = uvicorn.Config(create_app(app), lifespan="off", log_level="warning",
                            access_log=False, proxy_headers=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait((task, ready), return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        log.info("dashboard at %s", app.settings.dashboard_base_url)
        await stop.wait()
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def beside(app: CoachBot) -> AsyncIterator[None]:
    """Runs the dashboard for as long as the bot runs; a busy address only warns, since the
    partners' chat matters more than the coaches' pages."""
    if not app.settings.dashboard_enabled:
        yield
        return
    try:
        sock = listen_socket(app.settings.dashboard_listen)
    except (OSError, ValueError) as exc:
        log.warning("dashboard not started: cannot listen on %s (%s)",
                    app.settings.dashboard_listen, exc)
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop, sock))
    try:
        yield
    finally:
        stop.set()
        await task
