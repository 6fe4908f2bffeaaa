"""`coachbot coach|partners|webinar|broadcast|report`: the coach features from the terminal.

    coachbot coach add telegram:12345 --name Rina       # admins make coaches
    coachbot partners import roster.csv                 # bad rows reported by line number
    coachbot webinar create --title "Live selling" --at "2026-11-25 19:00" \\
        --link https://zoom.us/j/1 --audience cohort:batch1
    coachbot broadcast send --segment not_finished:basics --text "Yuk lanjut!" [--at …]
    coachbot report --cohort batch1 --csv report.csv
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from bot.app import KNOWN_CHANNELS
from bot.channels import network_channels
from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.core import OutboundChannel, SystemClock
from bot.core.timezones import find_zone, fmt_local, parse_local
from bot.runtime import load_library, open_database
from bot.storage.models import Role
from bot.storage.repos import Repos
from content.loader import Pack, PackLibrary
from handlers.audience import segments
from handlers.audience.segments import Audience
from handlers.broadcasts.service import BroadcastError, Broadcasts
from handlers.coaches.roles import coaches, parse_who, set_role
from handlers.coaches.roster import import_text
from handlers.registry import FEATURES
from handlers.reports import report
from handlers.reports.coach import stopped_at
from handlers.webinars.service import WebinarError, Webinars
from scheduler.dispatcher import Dispatcher
from scheduler.scope import Scope

T = TypeVar("T")

coach_app = typer.Typer(help="Coaches and admins.", no_args_is_help=True)
partners_app = typer.Typer(help="Partner roster.", no_args_is_help=True)
webinar_app = typer.Typer(help="Webinars: announce, RSVP, reminders.", no_args_is_help=True)
broadcast_app = typer.Typer(help="Broadcasts to partner segments.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(coach_app, name="coach")
    app.add_typer(partners_app, name="partners")
    app.add_typer(webinar_app, name="webinar")
    app.add_typer(broadcast_app, name="broadcast")
    app.command("report")(report_cmd)


def _settings() -> Settings:
    settings = Settings()
    setup_logging(settings, quiet=True)
    return settings


@asynccontextmanager
async def _repos(settings: Settings) -> AsyncIterator[Repos]:

    db = await open_database(settings)
    try:
        async with db.transaction() as s:
            yield Repos(s)
    finally:
        await db.dispose()


def _in_tx(settings: Settings, fn: Callable[[Repos], Awaitable[T]]) -> T:
    async def go() -> T:
        async with _repos(settings) as repos:
            return await fn(repos)

    return run(go())


def _library(settings: Settings) -> PackLibrary:

    return load_library(settings)


def _title(library: PackLibrary, ident: str) -> str:
    """A module's (or the final quiz's) title in English, for the terminal."""
    for pack in library.packs.values():
        if ident == "final":
            return pack.final_quiz.title.en
        if ident in pack.modules:
            return pack.modules[ident].title.en
    return ident


def _item(pack: Pack, item: str, lang: str) -> str:
    """A report row's item as coaches read it: a module, quiz or statement by its title."""
    if item == "final":
        return pack.final_quiz.title.get(lang)
    if item in pack.modules:
        return pack.modules[item].title.get(lang)
    statement = next((s for s in pack.assessment.statements if s.id == item), None)
    return statement.text.get(lang) if statement else item


def _when(raw: str, tz: str) -> datetime:
    if find_zone(tz) is None:
        raise typer.BadParameter(f"unknown time zone '{tz}'", param_hint="--tz")
    when = parse_local(raw, tz, SystemClock().now())
    if when is None:
        raise typer.BadParameter(f"cannot read '{raw}' (use e.g. 2026-11-25 19:00)",
                                 param_hint="--at")
    return when


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _ui(library: PackLibrary, key: str, **kw: Any) -> str:
    return library.t(None, "en", key, **kw)


# ---- coach ---------------------------------------------------------------------------------

def _who(raw: str, channel: str) -> tuple[str, str]:
    who = parse_who(raw, channel, KNOWN_CHANNELS)
    if who is None:
        raise typer.BadParameter(f"'{raw}' is not [channel:]id (channels: "
                                 f"{', '.join(sorted(KNOWN_CHANNELS))})")
    return who


@coach_app.command("add")
def coach_add(who: str = typer.Argument(..., help="[channel:]user id, e.g. telegram:12345"),
              channel: str = typer.Option("telegram", help="Channel when WHO has none"),
              name: str = typer.Option(None, help="Name shown in lists")) -> None:
    """Makes someone a coach (they need not have written to the bot yet)."""
    settings = _settings()
    ch, ext = _who(who, channel)

    async def go(repos: Repos) -> str:
        rec, created = await set_role(repos, channel=ch, external_id=ext, role=Role.COACH,
                                      pack_id=settings.default_pack, now=SystemClock().now(),
                                      name=name)
        return f"{ch}:{ext} is now {rec.role}" + (" (new)" if created else "")

    typer.echo(_in_tx(settings, go))


@coach_app.command("remove")
def coach_remove(who: str = typer.Argument(..., help="[channel:]user id"),
                 channel: str = typer.Option("telegram")) -> None:
    """Makes a coach a partner again."""
    settings = _settings()
    ch, ext = _who(who, channel)

    async def go(repos: Repos) -> str:
        if await repos.partners.get(ch, ext) is None:
            raise ValueError(f"nobody is known as {ch}:{ext}")
        rec, _ = await set_role(repos, channel=ch, external_id=ext, role=Role.PARTNER,
                                pack_id=settings.default_pack, now=SystemClock().now())
        return f"{ch}:{ext} is now {rec.role}"

    typer.echo(_in_tx(settings, go))


@coach_app.command("list")
def coach_list() -> None:
    """Lists coaches and admins."""
    settings = _settings()
    for channel, ext, name, role in _in_tx(settings, coaches):
        typer.echo(f"{role}\t{channel}:{ext}\t{name or ''}")


# ---- partners ------------------------------------------------------------------------------

@partners_app.command("import")
def partners_import(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                readable=True, help="CSV export"),
                    pack: str = typer.Option(None, help="Pack for new partners and cohorts")
                    ) -> None:
    """Imports a roster CSV (channel,external_id,chat_id,name,language,timezone,cohort);
    bad rows are reported by line number, good rows imported, known partners updated."""
    settings = _settings()
    pack_id = pack or settings.default_pack
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{file} is not UTF-8 text (export the spreadsheet as CSV UTF-8)")

    async def go(repos: Repos) -> Any:
        return await import_text(repos, text, pack_id=pack_id, now=SystemClock().now(),
                                 channels=KNOWN_CHANNELS)

    result = _in_tx(settings, go)
    for line, problem in result.errors:
        typer.echo(f"{file.name}:{line}: {problem}", err=True)
    for code in result.cohorts_created:
        typer.echo(f"new cohort: {code}")
    typer.echo(result.summary())
    if result.errors:
        raise typer.Exit(1)


# ---- webinars ------------------------------------------------------------------------------

@webinar_app.command("create")
def webinar_create(title: str = typer.Option(...), at: str = typer.Option(
                       ..., help="Start, e.g. '2026-11-25 19:00' (in --tz)"),
                   link: str = typer.Option(...),
                   tz: str = typer.Option("Asia/Jakarta", help="Zone of --at (or WIB/WITA/WIT)"),
                   description: str = typer.Option(None),
                   followup: str = typer.Option(None, help="Sent to attendees 2 h after start"),
                   audience: str = typer.Option("all", help="Segment, e.g. cohort:batch1")
                   ) -> None:
    """Announces a webinar with RSVP buttons to its audience."""
    settings = _settings()
    library = _library(settings)
    starts = _when(at, tz)
    zi = find_zone(tz)
    assert zi is not None

    async def go(repos: Repos) -> str:
        try:
            info, n = await repos.get(Webinars).create(
                library, title=title, starts_at=starts, link=link,
                description=description, followup=followup, audience=audience,
                timezone=zi.key, created_by=None, now=SystemClock().now(),
                catalog=segments.Catalog.of(library.packs))
        except WebinarError as exc:
            raise ValueError(_ui(library, exc.key, **exc.kw)) from None
        return f"webinar #{info.id} announced to {n} partners"

    typer.echo(_in_tx(settings, go))


@webinar_app.command("list")
def webinar_list() -> None:
    """Lists upcoming webinars with their attendance."""
    settings = _settings()

    async def go(repos: Repos) -> list[str]:
        out = []
        webinars = repos.get(Webinars)
        for w in await webinars.upcoming(SystemClock().now(), 100):
            yes = len(await webinars.attendees(w.id))
            out.append(f"#{w.id}\t{fmt_local(w.starts_at, w.timezone)}\t{w.audience}\t"
                       f"yes={yes}\t{w.title}")
        return out

    for line in _in_tx(settings, go):
        typer.echo(line)


@webinar_app.command("attendance")
def webinar_attendance(webinar_id: int) -> None:
    """Who said yes (and no) to a webinar."""
    settings = _settings()

    async def go(repos: Repos) -> list[tuple[int, str | None, str, str]]:
        webinars = repos.get(Webinars)
        if await webinars.get(webinar_id) is None:
            raise ValueError(f"no webinar #{webinar_id}")
        return await webinars.attendees(webinar_id, None)

    rows = _in_tx(settings, go)
    for _, name, ext, answer in rows:
        typer.echo(f"{answer}\t{ext}\t{name or ''}")
    typer.echo(f"yes={sum(r[3] == 'yes' for r in rows)} no={sum(r[3] == 'no' for r in rows)}")


def _webinar_change(action: str, webinar_id: int, at: str | None, tz: str) -> None:
    settings = _settings()
    library = _library(settings)
    when = _when(at, tz) if at else None

    async def go(repos: Repos) -> str:
        now = SystemClock().now()
        try:
            if when is not None:
                info, told = await repos.get(Webinars).move(library, webinar_id, when, now)
            else:
                info, told = await repos.get(Webinars).cancel(library, webinar_id, now)
        except WebinarError as exc:
            raise ValueError(_ui(library, exc.key, **exc.kw)) from None
        return f"webinar #{info.id} {action}; {told} attendees told"

    typer.echo(_in_tx(settings, go))


@webinar_app.command("move")
def webinar_move(webinar_id: int, at: str = typer.Option(..., help="New start (in --tz)"),
                 tz: str = typer.Option("Asia/Jakarta")) -> None:
    """Moves a webinar: reminders rescheduled, attendees told."""
    _webinar_change("moved", webinar_id, at, tz)


@webinar_app.command("cancel")
def webinar_cancel(webinar_id: int) -> None:
    """Cancels a webinar: reminders cancelled, attendees told."""
    _webinar_change("cancelled", webinar_id, None, "Asia/Jakarta")


# ---- broadcasts ----------------------------------------------------------------------------

async def _channels(settings: Settings) -> tuple[dict[str, OutboundChannel],
                                                 Callable[[], Awaitable[None]]]:
    """The channels this process can send through (every network channel configured)."""
    made = [await spec.sender(settings) for spec in network_channels(settings)
            if spec.sender is not None]
    if not made:
        raise ValueError("--dispatch needs COACHBOT_TELEGRAM_TOKEN (or let the running bot "
                         "send, and watch with --no-dispatch)")

    async def close() -> None:
        for _, closer in made:
            await closer()

    return {channel.name: channel for channel, _ in made}, close


class NoDispatcher(Exception):
    """Nothing of a due broadcast was sent for a while: no running bot is sending it."""


async def follow(settings: Settings, broadcast_id: int, *, dispatch: bool,
                 on_progress: Callable[[Any], None], poll: float = 0.5,
                 idle_hint: float | None = None) -> Any:
    """Watches a broadcast until nothing is pending (sending it from this process when
    `dispatch`), then sends the coach's report; returns the final Progress. Without
    `dispatch`, raises NoDispatcher when nothing due was sent within `idle_hint` seconds."""

    db = await open_database(settings)
    library = load_library(settings)
    clock = SystemClock()
    stop = asyncio.Event()
    worker: asyncio.Task[None] | None = None
    close: Callable[[], Awaitable[None]] | None = None
    try:
        if dispatch:
            channels, close = await _channels(settings)
            # a claim is at most ~1 s of sending: what a crash can leave in flight
            dispatcher = Dispatcher.from_settings(
                db, channels, settings, clock, batch_size=max(int(settings.send_rate), 1))

            async def pump() -> None:
                await dispatcher.pump(stop, idle=min(settings.dispatch_interval, poll))

            worker = asyncio.create_task(pump())
        started = time.monotonic()
        while True:
            async with db.transaction() as s:
                info = await Broadcasts(s).get(broadcast_id)
                pr = await Broadcasts(s).progress(broadcast_id, clock.now())
            on_progress(pr)
            if pr.finished:
                break
            due = info is not None and info.send_at <= clock.now()
            if (not dispatch and idle_hint is not None and due and pr.done == 0
                    and time.monotonic() - started > idle_hint):
                raise NoDispatcher(f"nothing of broadcast #{broadcast_id} was sent in "
                                   f"{idle_hint:g} s")
            if worker is not None and worker.done():
                worker.result()  # surfaces the dispatcher's exception
            await asyncio.sleep(poll)
        async with db.transaction() as s:
            await Broadcasts(s).report_finished(library, clock.now())
        if dispatch:  # deliver the coach's report too
            stop.set()
            if worker is not None:
                await worker
            await dispatcher.run_until_idle(max_ticks=5)
        return pr
    finally:
        stop.set()
        if worker is not None and not worker.done():
            worker.cancel()
        if close is not None:
            await close()
        await db.dispose()


def _warm_up(settings: Settings) -> None:
    """Imports the Telegram library before the broadcast is queued: importing it can take
    seconds, which should not count as the broadcast's time."""
    import importlib

    name = "ptb" if settings.telegram_driver.strip().lower() == "ptb" else "aiogram"
    importlib.import_module(f"bot.channels.telegram.{name}")


def _watch(settings: Settings, broadcast_id: int, dispatch: bool, total: int,
           idle_hint: float | None = None) -> None:
    started = time.monotonic()
    try:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), transient=False) as bar:
            task = bar.add_task(f"broadcast #{broadcast_id}", total=total)

            def update(pr: Any) -> None:
                bar.update(task, completed=pr.done, total=pr.total)

            final = run(follow(settings, broadcast_id, dispatch=dispatch, on_progress=update,
                               idle_hint=idle_hint))
    except NoDispatcher as exc:
        typer.echo(f"{exc}: no running bot is sending it. The messages stay queued; start "
                   f"the bot (`coachbot run`) or send them from here with `coachbot broadcast "
                   f"watch {broadcast_id} --dispatch`.", err=True)
        raise typer.Exit(1) from None
    summary = final.summary()
    if not final.elapsed_s:  # nothing recorded a send time (e.g. all blocked)
        summary = summary.replace("elapsed_s=0", f"elapsed_s={time.monotonic() - started:.0f}")
    typer.echo(summary)


@broadcast_app.command("send")
def broadcast_send(segment: str = typer.Option(..., help="e.g. all, cohort:batch1, "
                                               "not_finished:basics, quiz_below:final:70"),
                   text: str = typer.Option(..., help="The message"),
                   at: str = typer.Option(None, help="Send later, e.g. '2026-11-25 08:00'"),
                   tz: str = typer.Option("Asia/Jakarta", help="Zone of --at"),
                   coach: str = typer.Option(None, help="[channel:]id of the coach who gets "
                                             "the report in chat"),
                   dispatch: bool = typer.Option(False, help="Send from this process (else the "
                                                 "running bot's dispatcher sends)"),
                   wait: bool = typer.Option(True, help="Show progress until it is done"),
                   yes: bool = typer.Option(False, "--yes", "-y",
                                            help="Send without asking (for scripts)"),
                   idle_hint: float = typer.Option(10.0, help="Seconds without a message sent "
                                                   "before saying that no bot is sending")
                   ) -> None:
    """Shows who gets the broadcast, asks, queues it, shows a progress bar and ends with a
    summary line."""
    settings = _settings()
    library = _library(settings)
    when = _when(at, tz) if at else SystemClock().now()
    if dispatch and not network_channels(settings):
        _fail("--dispatch needs a network channel (COACHBOT_TELEGRAM_TOKEN or "
              "COACHBOT_WHATSAPP_TOKEN), or let the running bot send")
    catalog = segments.Catalog.of(library.packs)

    async def look(repos: Repos) -> tuple[str, int, list[tuple[str | None, str, int]], int]:
        try:
            seg = segments.parse(segment)
            audience = repos.get(Audience)
            await audience.check(seg, catalog)
        except segments.SegmentError as exc:
            raise ValueError(str(exc)) from None
        words = segments.describe(seg, lambda key, **kw: _ui(library, key, **kw),
                                  lambda ident: _title(library, ident))
        return (words, await audience.count(seg, catalog),
                await audience.breakdown(seg, catalog), await audience.unreachable(seg, catalog))

    words, n, split, lost = _in_tx(settings, look)
    typer.echo(f"to: {words} — {n} partners")
    for cohort, pack_id, count in split:
        pack = library.packs.get(pack_id)
        typer.echo(f"  {count} in {cohort or 'no cohort'} · "
                   f"{pack.meta.title.en if pack else pack_id}")
    if lost:
        typer.echo(f"warning: {lost} more partners match but cannot be reached (they blocked "
                   "the bot or have no chat)", err=True)
    typer.echo(f"send: {fmt_local(when, tz) if at else 'now'}")
    typer.echo(f"---\n{text.strip()}\n---")
    if n == 0:
        _fail(_ui(library, "broadcast_nobody"))
    if not yes and not typer.confirm(f"Send to {n} partners?", default=False):
        typer.echo("not sent")
        raise typer.Exit(1)
    if dispatch:
        _warm_up(settings)

    async def go(repos: Repos) -> tuple[int, int]:
        created_by = None
        if coach:
            ch, ext = _who(coach, "telegram")
            rec = await repos.partners.get(ch, ext)
            if rec is None:
                raise ValueError(f"nobody is known as {ch}:{ext}")
            created_by = rec.id
        try:
            info = await repos.get(Broadcasts).create(
                segment=segment, text=text, send_at=when, created_by=created_by,
                now=SystemClock().now(), catalog=segments.Catalog.of(library.packs))
        except BroadcastError as exc:
            raise ValueError(_ui(library, exc.key, **exc.kw)) from None
        except segments.SegmentError as exc:
            raise ValueError(str(exc)) from None
        return info.id, info.total

    bid, total = _in_tx(settings, go)
    typer.echo(f"broadcast #{bid}: {total} partners")
    if wait:
        _watch(settings, bid, dispatch, total, None if at else idle_hint)


@broadcast_app.command("watch")
def broadcast_watch(broadcast_id: int, dispatch: bool = typer.Option(False),
                    idle_hint: float = typer.Option(10.0, help="Seconds without a message "
                                                    "sent before saying no bot is sending")
                    ) -> None:
    """Follows a broadcast (e.g. after a restart: with --dispatch it carries on sending)."""
    settings = _settings()

    async def go(repos: Repos) -> int:
        info = await repos.get(Broadcasts).get(broadcast_id)
        if info is None:
            raise ValueError(f"no broadcast #{broadcast_id}")
        return info.total

    _watch(settings, broadcast_id, dispatch, _in_tx(settings, go),
           None if dispatch else idle_hint)


@broadcast_app.command("status")
def broadcast_status(broadcast_id: int) -> None:
    """Prints a broadcast's summary line."""
    settings = _settings()

    async def go(repos: Repos) -> str:
        try:
            pr = await repos.get(Broadcasts).progress(broadcast_id, SystemClock().now())
        except BroadcastError:
            raise ValueError(f"no broadcast #{broadcast_id}") from None
        return pr.summary()

    typer.echo(_in_tx(settings, go))


@broadcast_app.command("cancel")
def broadcast_cancel(broadcast_id: int) -> None:
    """Stops a broadcast: messages not yet sent are cancelled."""
    settings = _settings()

    async def go(repos: Repos) -> str:
        try:
            n = await repos.get(Broadcasts).cancel(broadcast_id, SystemClock().now())
        except BroadcastError as exc:
            raise ValueError(f"broadcast #{broadcast_id}: {exc.key}") from None
        return f"broadcast #{broadcast_id} cancelled; {n} unsent messages dropped"

    typer.echo(_in_tx(settings, go))


# ---- report --------------------------------------------------------------------------------

def report_cmd(cohort: str = typer.Option(None, help="Cohort code ('-' for no cohort)"),
               csv: Path = typer.Option(None, "--csv", help="Also write the report as CSV"),
               stalled_days: float = typer.Option(None, help="Idle days counted as stalled"),
               lang: str = typer.Option("en", help="Language of titles (id or en)")) -> None:
    """The cohort report: onboarding, modules, quiz pass rates, readiness, stalled partners."""
    settings = _settings()
    library = _library(settings)
    days = stalled_days if stalled_days is not None else settings.report_stalled_days

    async def go(repos: Repos) -> list[report.CohortReport] | None:
        scope = Scope(repos, library, settings, SystemClock().now(), FEATURES)
        return await report.build(scope, stalled_days=days,
                                  lang="en" if lang == "en" else "id", cohort_code=cohort)

    title_lang = "en" if lang == "en" else "id"
    reports = _in_tx(settings, go) or []
    if not reports:
        _fail(f"no cohort '{cohort}'" if cohort else "no partners yet")
    console = Console()
    for r in reports:
        table = Table(title=f"{r.code} {r.name} — {r.partners} partners", show_lines=False)
        table.add_column("metric")
        table.add_column("item")
        table.add_column("value", justify="right")
        table.add_column("after", justify="right")
        table.add_row("onboarding finished", "", str(r.onboarded), "")
        pack = library.fallback(r.pack_id, settings.default_pack)
        for section in r.sections:
            for row in section.rows:
                table.add_row(row.metric.replace("_", " "), _item(pack, row.item, title_lang),
                              row.shown or row.value,
                              row.after or ("-" if row.metric.startswith("readiness") else ""))
        table.add_row(f"stalled (> {days:g} days)", "", str(len(r.stalled)), "")
        console.print(table)
        for s in r.stalled[:50]:
            where = stopped_at(pack, title_lang, s)
            console.print(f"  stalled: {s.name or ''} ({s.external_id}), idle {s.days_idle} d"
                          + (f", stopped at {where}" if where else "")
                          + f" — coachbot partner show '#{s.partner_id}'")
    if csv is not None:
        csv.write_text(report.to_csv(reports), encoding="utf-8")
        typer.echo(f"wrote {csv}")
