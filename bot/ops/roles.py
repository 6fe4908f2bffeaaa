"""`coachbot run --role`: what one process of a deployment does.

- all: everything in one process (the default, as `make run`);
- web: takes the channels' updates (webhook or polling), nothing on its own; run several
  behind a load balancer;
- worker: sends the outbox (dispatcher) through the channels, takes no updates;
- scheduler: the dispatcher, plus the planner and the features' jobs in whichever scheduler
  process holds the lead (one schedule per deployment).

The worker and scheduler roles serve /healthz, /readyz and /metrics on
COACHBOT_METRICS_LISTEN when it is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import signal
from collections.abc import Sequence

from bot.channels import ChannelSpec, network_channels
from bot.channels.serving import listening, ops_routes, serve_network
from bot.config import Settings
from bot.core import OutboundChannel
from bot.ops.http import Ops
from bot.runtime import background_services, build_app

log = logging.getLogger(__name__)


class Role(enum.StrEnum):
    ALL = "all"
    WEB = "web"
    WORKER = "worker"
    SCHEDULER = "scheduler"


def on_signals(stop: asyncio.Event) -> None:
    """SIGTERM (the orchestrator's stop) and SIGINT set `stop`: a graceful shutdown."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def serve_role(settings: Settings, role: Role, stop: asyncio.Event | None = None) -> None:
    """Serves one role of a network deployment until SIGTERM/SIGINT (or `stop`)."""
    specs = network_channels(settings)
    if role in (Role.ALL, Role.WEB):
        if not specs:
            raise ValueError(f"--role {role} takes updates from a network channel: set "
                             "COACHBOT_TELEGRAM_TOKEN (or run without --role for the "
                             "terminal chat)")
        if role is Role.WEB and settings.webhook_url and not settings.webhook_secret:
            # without it each worker invents its own and refuses the updates Telegram
            # signed for another
            raise ValueError("--role web behind a load balancer needs COACHBOT_WEBHOOK_SECRET, "
                             "the same for every web worker")
        if role is Role.WEB:
            # each web worker behind a balancer sees part of the update ids: the workers
            # share what arrived, so a chat's updates still run in update-id order
            settings = settings.model_copy(update={"webhook_shared_order": True})
        await serve_network(settings, specs, stop, background=role is Role.ALL)
        return
    await serve_background(settings, specs, schedule=role is Role.SCHEDULER, stop=stop)


async def serve_background(settings: Settings, specs: Sequence[ChannelSpec], *,
                           schedule: bool, stop: asyncio.Event | None = None) -> None:
    """A process that takes no updates: it sends the outbox and, if `schedule`, competes for
    the lead to plan nudges and run the jobs."""
    stop = stop or asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        channels: dict[str, OutboundChannel] = {}
        for spec in specs:
            if spec.sender is None:
                continue
            channel, close = await spec.sender(settings)
            stack.push_async_callback(close)
            channels[spec.name] = channel
        if not channels and not schedule:
            raise ValueError("--role worker sends through a network channel: set "
                             "COACHBOT_TELEGRAM_TOKEN")
        app = await build_app(settings)
        stack.push_async_callback(app.db.dispose)
        on_signals(stop)
        ops = Ops(app)
        await stack.enter_async_context(
            background_services(app, channels, schedule=schedule, dispatch=bool(channels)))
        if settings.metrics_listen:
            port = await stack.enter_async_context(
                listening(settings.metrics_listen, ops_routes(ops)))
            log.info("health and metrics on port %s", port)
        log.info("serving as %s: %s", "scheduler" if schedule else "worker",
                 ", ".join(channels) or "no channel (planning only)")
        await stop.wait()
        ops.draining.set()
        log.info("shutting down: finishing the jobs in progress, releasing the schedule")
