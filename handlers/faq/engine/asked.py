"""A pack's faq_asked.yaml: questions partners asked, filed under the entry that answers
them. `taught` is what coaches filed (`coachbot faq teach`) and is never rewritten; `asked`
is the development data's, rewritten by `python -m benchmarks.tools.faq_calibrate --write`."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.faq.engine import index

FILE = "faq_asked.yaml"
HEADER = (
    "# Questions partners asked, each under the FAQ entry that answers it. The engine reads\n"
    "# them as more phrasings of their entry: up to {k} per entry, those under `taught`\n"
    "# first.\n"
    "# taught: filed by coaches with `coachbot faq teach` (e.g. from `coachbot faq gaps`).\n"
    "# asked: the in-scope cases of the development data (the FAQ cases files), up to {k} per\n"
    "#   entry chosen for the words they add; rewritten by\n"
    "#   `python -m benchmarks.tools.faq_calibrate --write`.\n"
)


def read(path: Path) -> dict[str, dict[str, list[str]]]:
    """The file's sections (empty when there is no file)."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        return {}
    return {key: {str(e): [str(q) for q in qs or ()] for e, qs in (data.get(key) or {}).items()}
            for key in ("taught", "asked")}


def write(path: Path, asked: dict[str, list[str]] | None = None,
          taught: dict[str, list[str]] | None = None) -> None:
    """Writes the file; a section not given is kept as it is on disk."""
    old = read(path)
    sections = {"taught": taught if taught is not None else old.get("taught", {}),
                "asked": asked if asked is not None else old.get("asked", {})}
    body = {key: value for key, value in sections.items() if value}
    path.write_text(HEADER.format(k=index.ASKED_PER_ENTRY)
                    + (yaml.safe_dump(body, allow_unicode=True, width=100, sort_keys=False)
                       if body else ""), encoding="utf-8")


def teach(path: Path, entry_id: str, question: str) -> int:
    """Files a question under an entry; returns how many that entry now has under
    `taught` (a question already there is not added twice)."""
    taught = read(path).get("taught", {})
    questions = taught.setdefault(entry_id, [])
    if question not in questions:
        questions.append(question)
    write(path, taught=taught)
    return len(questions)
