"""`coachbot missions review`: the proof waiting for a coach, and the verdict from the
terminal, as in the coaches' chat.

    coachbot missions review                          # what waits, oldest first
    coachbot missions review --approve 12 --by Dewi
    coachbot missions review --change 12 --by Dewi --feedback "Add the product link"
"""

from __future__ import annotations

import typer

from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.core import SystemClock
from bot.runtime import load_library, open_database
from bot.storage.repos import Repos
from handlers.missions import review
from handlers.missions.repo import MissionRepo
from scheduler.scope import Scope

app = typer.Typer(help="Practice missions: review the proof partners sent.",
                  no_args_is_help=True)


@app.command("review")
def review_cmd(approve: int = typer.Option(None, help="Approve this proof (its #number)"),
               change: int = typer.Option(None, help="Ask for a change to this proof"),
               feedback: str = typer.Option("", help="What to change (with --change)"),
               by: str = typer.Option("coach", help="The coach's name the partner sees"),
               lang: str = typer.Option("en", help="Language of this listing")) -> None:
    """Lists the proof waiting for review, or records one verdict."""
    settings = Settings()
    setup_logging(settings, quiet=True)
    if change is not None and not feedback.strip():
        raise typer.BadParameter("say what to change", param_hint="--feedback")

    async def go() -> list[str]:
        library = load_library(settings)
        db = await open_database(settings)
        try:
            async with db.transaction() as s:
                scope = Scope(Repos(s), library, settings, SystemClock().now())
                if approve is not None:
                    verdict = await review.approve(scope, approve, by)
                    return [review.outcome(scope, verdict, lang, approve)]
                if change is not None:
                    verdict = await review.ask_change(scope, change, by, feedback)
                    return [review.outcome(scope, verdict, lang, change)]
                return await _listing(scope, lang)
        finally:
            await db.dispose()

    for line in run(go()):
        typer.echo(line)


async def _listing(scope: Scope, lang: str) -> list[str]:
    waiting = await scope.repo(MissionRepo).waiting(limit=200)
    if not waiting:
        return [scope.t(None, lang, "review_list_empty")]
    lines = [scope.t(None, lang, "review_list_title", n=len(waiting)).replace("*", "")]
    for sub in waiting:
        partner = await scope.repos.partners.by_id(sub.partner_id)
        pack = scope.library.packs.get(partner.pack_id) if partner else None
        mission = pack.missions.get(sub.mission_id) if pack else None
        who = f"{partner.name or partner.external_id} ({partner.channel}:{partner.external_id})" \
            if partner else "?"
        proof = sub.proof.file_name or sub.proof.text or sub.proof.file_id or ""
        lines.append(f"#{sub.id}  {sub.created_at:%Y-%m-%d %H:%M}  {who}  "
                     f"{mission.title.get(lang) if mission else sub.mission_id}  "
                     f"[{sub.proof.kind}] {proof}")
    return lines
