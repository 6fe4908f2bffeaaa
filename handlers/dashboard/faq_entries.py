"""A new FAQ entry written from the dashboard into the pack's faq.yaml (a question the FAQ
could not answer becomes an entry with the coach's answer)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from content.loader import PackInvalid, load_pack

ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


class EntryRefused(ValueError):
    """The entry cannot be added; the message says why (for the coach)."""


def add_entry(pack_root: Path, entry_id: str, questions: dict[str, str],
              answer: dict[str, str]) -> None:
    """Appends the entry to faq.yaml, keeping the coaches' comments and layout; the pack
    must still load afterwards, else the file is left as it was."""
    if not ENTRY_ID.match(entry_id):
        raise EntryRefused(f"'{entry_id}': use lowercase letters, digits, - and _")
    if not all(questions.get(lang, "").strip() and answer.get(lang, "").strip()
               for lang in ("id", "en")):
        raise EntryRefused("an entry needs a question and an answer in both languages")
    path = pack_root / "faq.yaml"
    before = path.read_text(encoding="utf-8") if path.exists() else "entries:\n"
    entry = [{"id": entry_id,
              "questions": {lang: [questions[lang].strip()] for lang in ("id", "en")},
              "answer": {lang: answer[lang].strip() for lang in ("id", "en")}}]
    block = yaml.safe_dump(entry, allow_unicode=True, width=100, sort_keys=False)
    indented = "".join("  " + line if line.strip() else line
                       for line in block.splitlines(keepends=True))
    path.write_text(before.rstrip("\n") + "\n" + indented, encoding="utf-8")
    try:
        load_pack(pack_root)
    except PackInvalid as exc:
        path.write_text(before, encoding="utf-8")
        raise EntryRefused("; ".join(e.problem for e in exc.errors)) from None
