"""APScheduler 3 wiring: the nudge planner, the outbox dispatcher and the features' periodic
jobs beside a running bot.

    service = SchedulerService.for_app(app, {"telegram": channel})
    await service.start()      # planner every COACHBOT_PLANNER_INTERVAL s (first run now),
    ...                        # dispatcher every COACHBOT_DISPATCH_INTERVAL s, each job at its
    await service.stop()       # own interval; waits for the jobs in progress, so no row is
                               # left 'sending'

Jobs live in APScheduler's in-memory job store (never the pickled one): the outbox table is
the durable state, so a restarted process simply picks up where the last one stopped. The
engine runs what the features hand it at start-up (`Feature.jobs`, `Feature.nudges`); it
imports no feature.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.core import Clock, OutboundChannel
from bot.core.feature import Feature, Job
from bot.storage.db import Database
from bot.storage.repos import Repos
from content.loader import PackLibrary
from scheduler.dispatcher import Dispatcher
from scheduler.leader import Leadership, SoleLeader, leadership_for
from scheduler.planner import Planner
from scheduler.scope import Scope

log = logging.getLogger(__name__)
# seconds between the passes that judge a backlog within one planning interval
PASS_PAUSE = 1.0


class _OverrunIsNoNews(logging.Filter):
    """A job still running at its next time is skipped by design (max_instances=1: a
    dispatcher pumping a broadcast, a long planning pass): not a warning a line a second."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


_OVERRUN_FILTER = _OverrunIsNoNews()


class Deployment(Protocol):
    """What the scheduler needs of a running bot."""

    db: Database
    library: PackLibrary
    settings: Settings
    clock: Clock

    @property
    def features(self) -> Sequence[Feature[Any, Scope, Any]]: ...


class SchedulerService:
    def __init__(self, app: Deployment, planner: Planner, dispatcher: Dispatcher, *,
                 plan: bool = True, leader: Leadership | None = None,
                 schedule: bool = True, dispatch: bool = True):
        self.app = app
        # the planner and the jobs run in the one process holding the lead; `schedule` and
        # `dispatch` pick this process's role (`coachbot run --role`)
        self.leader: Leadership = leader or SoleLeader()
        self.schedule = schedule
        self.dispatch = dispatch
        self.planner = planner
        self.pass_pause = PASS_PAUSE
        self.dispatcher = dispatcher
        self.plan = plan
        self.jobs: list[Job[Scope]] = [job for f in app.features for job in f.jobs()]
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = asyncio.Event()

    @classmethod
    def for_app(cls, app: Deployment, channels: Mapping[str, OutboundChannel], *,
                only_chats: Mapping[str, str] | None = None,
                plan: bool = True, schedule: bool = True,
                dispatch: bool = True) -> SchedulerService:
        planner = Planner(app.db, app.library, app.settings, app.clock,
                          sources=[src for f in app.features for src in f.nudges()])
        dispatcher = Dispatcher.from_settings(app.db, channels, app.settings, app.clock,
                                              only_chats=only_chats,
                                              validators=[planner.validator()])
        leader = leadership_for(app.db.url, app.db.is_postgres) if schedule else None
        return cls(app, planner, dispatcher, plan=plan, leader=leader, schedule=schedule,
                   dispatch=dispatch)

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
        """Plans nudges for every partner (in the leading process only)."""
        if not self.leader.held:
            return
        try:
            judged = 0
            most = self.planner.max_partners
            while True:
                stats = await self.planner.run_pass(limit=most - judged if most else None)
                judged += stats.partners
                # a pass that stopped on its time budget leaves candidates this interval may
                # still judge: the next pass follows a pause in which messages and the
                # dispatcher have the loop and the database
                if (not stats.out_of_time or (most and judged >= most)
                        or self._stopping.is_set() or not self.leader.held):
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.pass_pause):
                        await self._stopping.wait()
        except Exception:
            log.exception("nudge planning pass failed; the next one will try again")

    async def run_job(self, job: Job[Scope]) -> None:
        """Runs one feature job in its own transaction (in the leading process only)."""
        if not self.leader.held:
            return
        try:
            async with self.app.db.transaction() as s:
                await job.run(Scope(Repos(s), self.app.library, self.app.settings,
                                    self.app.clock.now(), self.app.features))
        except Exception:
            log.exception("job %s failed; the next run will try again", job.name)

    async def dispatch_job(self) -> None:
        try:
            stats = await self.dispatcher.tick()
            if stats.claimed >= self.dispatcher.batch_size and not self._stopping.is_set():
                # a backlog (a broadcast): the next batches are claimed while one sends,
                # until nothing is due (a tick pauses for its claim and its record)
                await self.dispatcher.pump(self._stopping, until_idle=True)
        except Exception:
            log.exception("outbox dispatcher tick failed; the next one will try again")

    async def leader_job(self) -> None:
        """Takes or keeps the lead; a process that just took it plans at once."""
        was = self.leader.held
        try:
            now_held = await self.leader.check()
        except Exception:
            log.exception("leader check failed; the next one will try again")
            return
        if now_held and not was and self.scheduler is not None and self.plan:
            self.scheduler.modify_job("nudge-planner", next_run_time=datetime.now(UTC))

    def _seconds(self, every: float | str) -> float:
        return float(getattr(self.app.settings, every) if isinstance(every, str) else every)

    async def start(self) -> None:
        settings = self.app.settings
        self._stopping.clear()
        sched = AsyncIOScheduler(timezone=UTC)
        logging.getLogger("apscheduler.scheduler").addFilter(_OVERRUN_FILTER)  # idempotent
        now = datetime.now(UTC)
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        if self.schedule:
            await self.leader.check()
            sched.add_job(self._tracked(self.leader_job),
                          IntervalTrigger(seconds=max(settings.leader_interval, 0.2)),
                          id="leader", **common)
        if self.plan and self.schedule:
            sched.add_job(self._tracked(self.plan_job),
                          IntervalTrigger(seconds=max(settings.planner_interval, 1)),
                          id="nudge-planner", next_run_time=now, **common)
        if self.dispatch:
            sched.add_job(self._tracked(self.dispatch_job),
                          IntervalTrigger(seconds=max(settings.dispatch_interval, 0.05)),
                          id="outbox-dispatcher", next_run_time=now, **common)
        for job in self.jobs if self.schedule else ():
            sched.add_job(self._tracked(functools.partial(self.run_job, job)),
                          IntervalTrigger(seconds=max(self._seconds(job.every), 1)),
                          id=job.name, next_run_time=now, **common)
        sched.start()
        self.scheduler = sched
        log.info("scheduler started: planner every %ss, dispatcher every %ss, jobs: %s",
                 settings.planner_interval, settings.dispatch_interval,
                 ", ".join(j.name for j in self.jobs) or "none")

    async def stop(self, grace: float = 10.0) -> None:
        """Stops the timers, then lets the jobs in progress finish (within `grace` seconds):
        a tick records what it sent, a planning pass writes its batch. One still running
        after that is cancelled here, not torn down mid-transaction by the loop's exit."""
        if self.scheduler is None:
            return
        self._stopping.set()  # a pump in progress finishes the batches it has in flight
        scheduler, self.scheduler = self.scheduler, None
        scheduler.pause()  # no new runs; shutdown() would cancel the running ones
        # a run APScheduler has just created marks itself on its first step: let it, so it is
        # waited for here rather than started after the database is closed
        await asyncio.sleep(0)
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
        await self.leader.release()
