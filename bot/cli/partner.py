"""`coachbot partner show NAME|ID`: one partner as a coach sees them, in the terminal."""

from __future__ import annotations

import typer

from bot.cli.common import run
from bot.config import Settings
from bot.core.timezones import local_time
from bot.runtime import load_library, open_database
from bot.storage.repos import Repos
from handlers.coaches.profile import PartnerProfile, ProfileRepo, gather

app = typer.Typer(help="One partner.", no_args_is_help=True)


def lines(p: PartnerProfile, tz: str) -> list[str]:
    """The profile as plain lines (English), times in `tz`."""
    place = (f"module {p.module}, step {p.step_no or '?'} of {p.steps or '?'}" if p.module
             else p.state)
    out = [f"{p.label} · #{p.partner_id}",
           f"cohort: {p.cohort or 'none'} · pack: {p.pack_title} · language: {p.language}",
           f"now at: {place} · {p.modules_done}/{p.modules_total} modules finished",
           f"last active: {local_time(p.last_active_at, tz)}"]
    if not p.reachable:
        out.append("cannot be reached: " + ("opted out (/stop)" if p.opted_out
                                            else "blocked the bot or no chat"))
    out.append(f"reflections ({len(p.reflections)}):")
    out += [f"  - {r.module_title} · {r.prompt}\n      {r.answer}" for r in p.reflections]
    out.append(f"quiz attempts ({len(p.quizzes)}):")
    out += [f"  - {q.title}: {q.score}/{q.total} {'passed' if q.passed else 'not passed'}"
            + (f"; missed: {', '.join(q.missed)}" if q.missed else "") for q in p.quizzes]
    out.append("self-assessment (before -> after):")
    out += [f"  - {r.statement}: {r.before or '-'} -> {r.after or '-'}" for r in p.ratings]
    out.append(f"tickets ({len(p.tickets)}):")
    out += [f"  - #{t.id} {t.status}: {t.question or '-'}" for t in p.tickets]
    out.append(f"nudges: {len(p.nudges_sent)} sent, {len(p.nudges_pending)} planned"
               + (f" (next {local_time(p.nudges_pending[0].due_at, tz)})"
                  if p.nudges_pending else ""))
    return out


@app.command("show")
def show(query: str = typer.Argument(..., help="Part of a name, #id or channel:id"),
         tz: str = typer.Option("Asia/Jakarta", help="Zone of the times shown")) -> None:
    """Where a partner is, what they wrote, their quizzes, ratings, tickets and nudges."""
    settings = Settings()
    library = load_library(settings)

    async def go() -> list[str] | list[PartnerProfile]:
        db = await open_database(settings)
        try:
            async with db.transaction() as s:
                repos = Repos(s)
                found = await repos.get(ProfileRepo).find(query)
                if len(found) != 1:
                    return [f"#{f.id}\t{f.name or '-'}\t{f.channel}:{f.external_id}"
                            for f in found]
                return [await gather(repos, library, found[0], "en")]
        finally:
            await db.dispose()

    result = run(go())
    if not result:
        typer.echo(f"no partner matches '{query}'", err=True)
        raise typer.Exit(2)
    first = result[0]
    if isinstance(first, PartnerProfile):
        typer.echo("\n".join(lines(first, tz)))
        return
    typer.echo(f"{len(result)} partners match; name one by #id:")
    typer.echo("\n".join(str(r) for r in result))
    raise typer.Exit(1)
