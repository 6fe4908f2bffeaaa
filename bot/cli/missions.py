"""`coachbot missions review`: the proof waiting for a coach, and the verdict from the
terminal, as in the coaches' chat.

    coachbot missions review                          # what waits, oldest first
    coachbot missions review --approve 12 --by Dewi
    coachbot missions review --change 12 --by Dewi --feedback "Add the product link"
    coachbot cert verify K7QM-3XPA                    # whose it is, when it was issued
    coachbot cert revoke K7QM-3XPA --by Dewi
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import typer

from bot.cli.common import run, setup_logging
from bot.config import Settings
from bot.core import SystemClock
from bot.runtime import load_library, open_database
from bot.storage.repos import Repos
from handlers.missions import review
from handlers.missions.repo import CertificateRepo, MissionRepo
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


cert_app = typer.Typer(help="Certificates: verify a code, revoke one.", no_args_is_help=True)


def _cert_run(fn: Callable[[Scope], Awaitable[tuple[int, str]]]) -> None:
    settings = Settings()
    setup_logging(settings, quiet=True)

    async def go() -> tuple[int, str]:
        library = load_library(settings)
        db = await open_database(settings)
        try:
            async with db.transaction() as s:
                return await fn(Scope(Repos(s), library, settings, SystemClock().now()))
        finally:
            await db.dispose()

    code, text = run(go())
    typer.echo(text)
    if code:
        raise typer.Exit(code)


@cert_app.command("verify")
def cert_verify(code: str = typer.Argument(..., help="The code on the certificate")) -> None:
    """Says whose certificate the code is, for which program, when it was issued."""
    async def go(scope: Scope) -> tuple[int, str]:
        cert = await scope.repo(CertificateRepo).by_code(code)
        if cert is None:
            return 1, f"{code}: no such certificate"
        pack = scope.library.packs.get(cert.pack_id)
        title = pack.meta.title.get("en") if pack else cert.pack_id
        line = f"{cert.code}: {cert.name}, {title}, issued {cert.issued_at:%Y-%m-%d}"
        if cert.revoked_at is not None:
            return 1, f"{line}; REVOKED on {cert.revoked_at:%Y-%m-%d} by {cert.revoked_by}"
        return 0, f"{line}; valid"

    _cert_run(go)


@cert_app.command("revoke")
def cert_revoke(code: str = typer.Argument(..., help="The code on the certificate"),
                by: str = typer.Option(..., help="The coach revoking it")) -> None:
    """Revokes a certificate: `verify` says so from then on."""
    async def go(scope: Scope) -> tuple[int, str]:
        if await scope.repo(CertificateRepo).revoke(code, by, scope.now):
            return 0, f"{code.strip().upper()}: revoked"
        return 1, f"{code}: no such certificate, or revoked already"

    _cert_run(go)
