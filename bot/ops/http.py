"""/healthz, /readyz and /metrics for the people and the load balancer running the bot.

They are served on the webhook listener beside the channels' routes, and in polling mode on
COACHBOT_METRICS_LISTEN. /healthz says the process is alive; /readyz that it can serve (the
database answers, its schema is at the migrations' head, the packs are loaded) and is not
shutting down, so a load balancer stops sending it updates once SIGTERM arrives.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from aiohttp import web

from bot.ops import metrics
from bot.ops.repo import OpsRepo
from bot.storage.db import alembic_config

if TYPE_CHECKING:
    from bot.app import CoachBot

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.Response]]
CHECK_TIMEOUT = 3.0  # seconds a readiness or metrics query may take


@cache
def migration_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory  # alembic is loaded once, on first check

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@dataclass
class Ops:
    """The operational endpoints of one process."""

    app: CoachBot
    # set when the process is shutting down: /readyz answers 503 from then on
    draining: asyncio.Event = field(default_factory=asyncio.Event)

    def endpoints(self) -> list[tuple[str, Handler]]:
        """(path, handler) of each GET endpoint."""
        return [("/healthz", self.healthz), ("/readyz", self.readyz), ("/metrics", self.metrics)]

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def checks(self) -> dict[str, str]:
        """Each readiness check: "ok" or what is wrong."""
        out: dict[str, str] = {}
        library = self.app.library
        out["packs"] = ("ok" if self.app.settings.default_pack in library.packs
                        else f"default pack {self.app.settings.default_pack} not loaded")
        try:
            async with asyncio.timeout(CHECK_TIMEOUT), self.app.db.transaction() as session:
                revision = await OpsRepo(session).schema_revision()
            out["database"] = "ok"
            heads = migration_heads()
            out["migrations"] = ("ok" if revision in heads else
                                 f"at {revision or 'nothing'}, head is {', '.join(sorted(heads))}")
        except Exception as exc:  # whatever the driver raises, the answer is "not ready"
            out["database"] = f"unreachable: {type(exc).__name__}"
            out["migrations"] = "unknown"
        if self.draining.is_set():
            out["serving"] = "shutting down"
        return out

    async def readyz(self, _request: web.Request) -> web.Response:
        checks = await self.checks()
        ready = all(v == "ok" for v in checks.values())
        return web.Response(status=200 if ready else 503, content_type="application/json",
                            text=json.dumps({"ready": ready, "checks": checks}))

    async def metrics(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                await metrics.refresh(self.app.db, self.app.clock)
        except Exception:  # the counters are still worth serving without fresh gauges
            log.warning("metrics: could not read the gauges from the database")
        return web.Response(body=metrics.render(),
                            headers={"Content-Type": metrics.CONTENT_TYPE})
