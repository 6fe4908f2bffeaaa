"""APScheduler 3 wiring: the planner, the dispatcher and the digest beside a running bot.

    service = SchedulerService.for_app(app, {"telegram": channel})
    await service.start()      # planner every COACHBOT_PLANNER_INTERVAL s (first run now),
    ...                        # dispatcher every COACHBOT_DISPATCH_INTERVAL s
    await service.stop()       # waits for the jobs in progress, so no row is left 'sending'

Jobs live in APScheduler's in-memory job store (never the pickled one): the outbox table is
the durable state, so a restarted process simply picks up where the last one stopped.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.coach import broadcasts
from bot.core import OutboundChannel
from scheduler import digest
from scheduler.dispatcher import Dispatcher
from scheduler.planner import Planner

if TYPE_CHECKING:
    from bot.app import CoachBot

log = logging.getLogger(__name__)

REPORT_INTERVAL = 30.0  # seconds: how soon a coach hears that a broadcast finished


class SchedulerService:
    def __init__(self, app: CoachBot, planner: Planner, dispatcher: Dispatcher, *,
                 plan: bool = True):
        self.app = app
        self.planner = planner
        self.dispatcher = dispatcher
        self.plan = plan
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[object]] = set()

    @classmethod
    def for_app(cls, app: CoachBot, channels: Mapping[str, OutboundChannel], *,
                only_chats: Mapping[str, str] | None = None,
                plan: bool = True) -> SchedulerService:
        planner = Planner(app.db, app.library, app.settings, app.clock)
        dispatcher = Dispatcher.from_settings(app.db, channels, app.settings, app.clock,
                                              only_chats=only_chats,
                                              validators=[planner.validator()])
        return cls(app, planner, dispatcher, plan=plan)

    def _tracked(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """`job` as the scheduler runs it: its task is marked in progress, so stop() waits."""

        @functools.wraps(job)
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            await job()

        return run

    async def plan_job(self) -> None:
        """Plans nudges for every partner and enqueues the coaches' digest when it is time."""
        try:
            if self.plan:
                await self.planner.run_pass()
            async with self.app.db.transaction() as s:
                now = self.app.clock.now()
                await digest.enqueue_if_due(s, self.app.library, self.app.settings, now)
        except Exception:
            log.exception("nudge planning pass failed; the next one will try again")

    async def report_job(self) -> None:
        """Sends each finished broadcast's summary to the coach who started it, once."""
        try:
            async with self.app.db.transaction() as s:
                await broadcasts.report_finished(s, self.app.library, self.app.clock.now())
        except Exception:
            log.exception("broadcast report check failed; the next one will try again")

    async def dispatch_job(self) -> None:
        try:
            await self.dispatcher.tick()
        except Exception:
            log.exception("outbox dispatcher tick failed; the next one will try again")

    async def start(self) -> None:
        settings = self.app.settings
        sched = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        sched.add_job(self._tracked(self.plan_job),
                      IntervalTrigger(seconds=max(settings.planner_interval, 1)),
                      id="nudge-planner", next_run_time=now, **common)
        sched.add_job(self._tracked(self.dispatch_job),
                      IntervalTrigger(seconds=max(settings.dispatch_interval, 0.05)),
                      id="outbox-dispatcher", next_run_time=now, **common)
        sched.add_job(self._tracked(self.report_job),
                      IntervalTrigger(seconds=REPORT_INTERVAL),
                      id="broadcast-reports", next_run_time=now, **common)
        sched.start()
        self.scheduler = sched
        log.info("scheduler started: planner every %ss, dispatcher every %ss",
                 settings.planner_interval, settings.dispatch_interval)

    async def stop(self, grace: float = 10.0) -> None:
        """Stops the timers, then lets the jobs in progress finish (within `grace` seconds):
        a tick records what it sent, a planning pass writes its batch. One still running
        after that is cancelled here, not torn down mid-transaction by the loop's exit."""
        if self.scheduler is None:
            return
        scheduler, self.scheduler = self.scheduler, None
        scheduler.pause()  # no new runs; shutdown() would cancel the running ones
        running = {t for t in self._running if not t.done()}
        late: set[asyncio.Task[object]] = set()
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
        if late:
            log.warning("%d scheduler job(s) still running at shutdown; their rows are "
                        "retried later", len(late))
        scheduler.shutdown(wait=False)
        if late:
            await asyncio.gather(*late, return_exceptions=True)
