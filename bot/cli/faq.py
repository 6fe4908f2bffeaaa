"""`coachbot faq …`: ask the FAQ engine, evaluate it on a cases file, list FAQ gaps, teach it
a partner's question, add a ticket's answer as an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rapidfuzz import process

from bot.cli.common import run as run_async
from bot.config import Settings
from bot.runtime import load_library, open_database
from bot.storage.repos import Repos
from content.loader import PackInvalid, load_pack, load_ui_defaults
from content.schema import FaqAsked
from handlers.faq.engine import FaqIndex, asked, load_faq_file, thresholds_for
from handlers.faq.engine.evaluate import Case, load_cases, run, summarize
from handlers.faq.engine.index import ASKED_PER_ENTRY
from handlers.faq.gaps import group_questions
from handlers.faq.repo import FaqLogRepo
from handlers.faq.taught import TaughtRepo, TeachError, build_index, from_ticket
from handlers.faq.taught import teach as teach_entry

app = typer.Typer(help="The FAQ engine: ask it, evaluate it, find what it cannot answer.",
                  no_args_is_help=True)


def _indexes(packs: list[Path] | None, faq: Path | None) -> dict[str, FaqIndex]:
    """Pack id -> index; a stand-alone FAQ file is one index named after the file."""
    settings = Settings()
    if packs and faq:
        typer.echo("give either --pack or --faq, not both", err=True)
        raise typer.Exit(2)
    try:
        if faq:
            return {faq.stem: FaqIndex(load_faq_file(faq), thresholds_for(settings))}
        dirs = list(packs) if packs else [Path(settings.packs_dir) / settings.default_pack]
        ui = load_ui_defaults()
        out: dict[str, FaqIndex] = {}
        for d in dirs:
            pack = load_pack(d, ui)
            out[pack.id] = FaqIndex(pack.faq, thresholds_for(settings, pack.id),
                                    asked=pack.faq_asked, pack=pack.id)
        return out
    except PackInvalid as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot read the FAQ: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("ask")
def ask(question: str = typer.Argument(..., help="The question, in the partner's words."),
        pack: Path = typer.Option(None, "--pack", help="A content-pack folder."),
        faq: Path = typer.Option(None, "--faq", help="A stand-alone FAQ YAML file."),
        lang: str = typer.Option("id", "--lang", help="The answer's language: id or en."),
        ) -> None:
    """Prints the matched entry id (or none), the confidence and the answer."""
    index = next(iter(_indexes([pack] if pack else None, faq).values()))
    match = index.search(question)
    lang = "en" if lang == "en" else "id"
    entry = match.top if match.band.value != "none" else None
    typer.echo(entry or "none")
    typer.echo(f"confidence={match.confidence:.3f} band={match.band.value}")
    if entry:
        if match.band.value == "offer":
            typer.echo("offered: " + ", ".join(h.entry_id for h in match.hits))
        typer.echo(index.answer(entry, lang))


@app.command("eval")
def evaluate(cases: Path = typer.Option(..., "--cases", help="The cases YAML file."),
             pack: list[Path] = typer.Option(None, "--pack", help="Content-pack folder(s); a "
                                             "case with `pack: <id>` goes to that pack."),
             faq: Path = typer.Option(None, "--faq", help="A stand-alone FAQ YAML file."),
             verbose: bool = typer.Option(False, "--verbose", help="Print every case."),
             ) -> None:
    """Prints per-case misses and one summary line (top1, oos_reject, latency)."""
    if not pack and not faq:
        typer.echo("give --pack DIR or --faq FILE", err=True)
        raise typer.Exit(2)
    indexes = _indexes(pack, faq)
    only = next(iter(indexes.values())) if faq or len(indexes) == 1 else None
    single_id = next(iter(indexes)) if len(indexes) == 1 else None

    def index_for(case: Case) -> FaqIndex | None:
        if faq or case.pack is None:
            return only or next(iter(indexes.values()))
        if single_id is not None and case.pack != single_id:
            return None
        return indexes.get(case.pack)

    try:
        loaded = load_cases(cases)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        typer.echo(f"cannot read the cases: {exc}", err=True)
        raise typer.Exit(2) from None
    results = run(loaded, index_for)
    for r in results:
        if verbose or not r.ok:
            mark = "ok  " if r.ok else "MISS"
            typer.echo(f"{mark} expect={r.case.expect or 'null'} got={r.match.top or 'none'} "
                       f"band={r.match.band.value} conf={r.match.confidence:.3f} "
                       f"[{r.case.lang}] {r.case.q}")
    typer.echo(summarize(results).line())


@app.command("teach")
def teach(entry: str = typer.Argument(..., help="The id of the FAQ entry that answers it."),
          question: str = typer.Argument(..., help="The question, in the partner's words."),
          pack: Path = typer.Option(None, "--pack",
                                    help="A content-pack folder (default: the default pack)."),
          ) -> None:
    """Files a partner's question under the entry that answers it (faq_asked.yaml): the
    engine reads it as one more phrasing of that entry from its next start."""
    settings = Settings()
    folder = pack or Path(settings.packs_dir) / settings.default_pack
    try:
        loaded = load_pack(folder, load_ui_defaults())
    except PackInvalid as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    text = " ".join(question.split())
    if not text or len(text) > 500:
        typer.echo("the question must be 1 to 500 characters", err=True)
        raise typer.Exit(2)
    ids = [e.id for e in loaded.faq]
    if entry not in ids:
        near = [m[0] for m in process.extract(entry, ids, limit=3)]
        typer.echo(f"no FAQ entry '{entry}' in {loaded.id}; did you mean: {', '.join(near)}?",
                   err=True)
        raise typer.Exit(2)
    count = asked.teach(folder / asked.FILE, entry, text)
    typer.echo(f"filed under {entry} ({count} taught for it)")
    if count > ASKED_PER_ENTRY:
        typer.echo(f"note: the engine reads the first {ASKED_PER_ENTRY} per entry only")
    now = FaqAsked.model_validate(asked.read(folder / asked.FILE)).by_entry()
    match = FaqIndex(loaded.faq, thresholds_for(settings, loaded.id), asked=now,
                     pack=loaded.id).search(text)
    typer.echo(f"the engine now: {match.top or 'none'} confidence={match.confidence:.3f} "
               f"band={match.band.value}")


@app.command("gaps")
def gaps(pack: str = typer.Option(None, "--pack", help="Only this pack id."),
         days: int = typer.Option(0, "--days", help="Only the last N days (0: all)."),
         similarity: float = typer.Option(60.0, help="How alike (0-100) questions in one "
                                          "group are."),
         ) -> None:
    """Lists unanswered and unhelpful questions, grouped by similarity, each group with the
    entry it most likely belongs to."""
    settings = Settings()
    library = load_library(settings)

    async def go() -> None:
        db = await open_database(settings)
        try:
            since = datetime.now(UTC) - timedelta(days=days) if days > 0 else None
            async with db.transaction() as session:
                repos = Repos(session)
                questions = await repos.get(FaqLogRepo).gaps(pack, since)
                indexes = {p.id: build_index(p, await repos.get(TaughtRepo).of_pack(p.id),
                                             thresholds_for(settings, p.id))
                           for p in library.packs.values()
                           if any(q.pack_id == p.id for q in questions)}
        finally:
            await db.dispose()
        groups = group_questions(questions, similarity)
        if not groups:
            typer.echo("no gaps: every logged question was answered and helped")
            return
        typer.echo(f"{len(questions)} questions in {len(groups)} groups")
        for g in groups:
            typer.echo(f"\n{g.count}× {g.example!r}  ({g.describe()})")
            for other in g.others[:4]:
                typer.echo(f"    · {other}")
            idx = indexes.get(g.questions[0].pack_id)
            if idx is not None:
                typer.echo("    " + suggest(idx, g.questions[0].pack_id,
                                            [q.text for q in g.questions]))

    run_async(go())


@app.command("add")
def add(ticket: int = typer.Option(None, "--ticket", help="An answered ticket: its question "
                                   "and the coach's latest answer."),
        question: str = typer.Option(None, "--question", help="The question (without "
                                     "--ticket)."),
        answer: str = typer.Option(None, "--answer", help="The answer, in --lang (without "
                                   "--ticket)."),
        answer_en: str = typer.Option(None, "--answer-en", help="The answer in English, when "
                                      "--lang is id."),
        entry: str = typer.Option(None, "--entry", help="File the question as another "
                                  "wording of this existing entry instead."),
        new_id: str = typer.Option(None, "--id", help="The new entry's id (default: "
                                   "ticket-N or taught-N)."),
        pack: str = typer.Option(None, "--pack", help="The pack id (without --ticket; "
                                 "default: the default pack)."),
        lang: str = typer.Option("id", "--lang", help="The language of the question and "
                                 "answer: id or en."),
        by: str = typer.Option("cli", "--by", help="Who adds it (kept with the entry)."),
        ) -> None:
    """Adds a new FAQ entry (or another wording of one) to the database; the running bot's
    index takes it in before its next answer."""
    settings = Settings()
    library = load_library(settings)

    async def go() -> None:
        db = await open_database(settings)
        try:
            async with db.transaction() as session:
                repos = Repos(session)
                if ticket is not None:
                    src = await from_ticket(repos, library, settings.default_pack, ticket)
                    target, q, a, lg = src.pack, src.question, src.answer, src.lang
                    a_en = None
                else:
                    if not question or (not entry and not (answer or answer_en)):
                        typer.echo("give --ticket, or --question with --answer (or --entry)",
                                   err=True)
                        raise typer.Exit(2)
                    target = library.packs.get(pack or settings.default_pack)
                    if target is None:
                        typer.echo(f"no pack {pack!r}; packs: {', '.join(library.packs)}",
                                   err=True)
                        raise typer.Exit(2)
                    q, a, a_en, lg = question, answer, answer_en, lang
                version = await repos.get(TaughtRepo).version(target.id)
                entry_id = entry or new_id or (f"ticket-{ticket}" if ticket is not None
                                               else f"taught-{version + 1}")
                taught = await teach_entry(
                    repos, target, lang=lg, question=q, entry_id=entry_id,
                    answer=None if entry else a, answer_en=None if entry else a_en,
                    ticket_id=ticket, by=by, now=datetime.now(UTC))
                everything = await repos.get(TaughtRepo).of_pack(target.id)
        except TeachError as exc:
            typer.echo(library.t(None, "en", exc.key, **exc.values), err=True)
            raise typer.Exit(2) from None
        finally:
            await db.dispose()
        kind = "another wording of" if entry else "new entry"
        typer.echo(f"{target.id}: {kind} {taught.entry_id}: {taught.question!r}")
        match = build_index(target, everything, thresholds_for(settings, target.id)).search(q)
        typer.echo(f"the engine now: {match.top or 'none'} confidence={match.confidence:.3f} "
                   f"band={match.band.value}")

    run_async(go())


def suggest(idx: FaqIndex, pack_id: str, questions: list[str]) -> str:
    """The entry a group of questions most likely belongs to: the one ranked first for most
    of them, with the mean rank-1 confidence (low: the group may need a new entry)."""
    votes: dict[str, list[float]] = {}
    for q in questions[:20]:
        match = idx.search(q)
        if match.top is not None and match.chat is None:
            votes.setdefault(match.top, []).append(match.confidence)
    if not votes:
        return (f"closest entry: none (a new entry: coachbot faq add --pack {pack_id} "
                "--question … --answer …)")
    entry, scores = max(votes.items(), key=lambda kv: (len(kv[1]), sum(kv[1])))
    return (f"closest entry: {entry} ({len(scores)} of {min(len(questions), 20)}, "
            f"confidence {sum(scores) / len(scores):.2f}); another wording of it: "
            f"coachbot faq add --pack {pack_id} --entry {entry} --question …")
