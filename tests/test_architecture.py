"""The conversation core never imports a messaging library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGING = {"aiogram", "telegram", "pywa"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_messaging_library_outside_bot_channels() -> None:
    offenders = []
    for package in ("bot", "handlers", "content", "scheduler"):
        for path in (ROOT / package).rglob("*.py"):
            if (ROOT / "bot" / "channels") in path.parents:
                continue
            bad = _imports(path) & MESSAGING
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_check_itself_sees_an_import() -> None:
    probe = ROOT / "bot" / "channels" / "console.py"
    assert "rich" in _imports(probe)
