"""The conversation core never imports a messaging library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGING = {"aiogram", "telegram", "pywa"}
# every package of ours; bot/ takes in the CLI and bot/web (the coaches' dashboard)
PACKAGES = ("bot", "handlers", "content", "scheduler")
ADAPTERS = ROOT / "bot" / "channels"  # the one place a messaging library may be imported


def _imports_in(source: str) -> set[str]:
    """The top-level modules the source imports, wherever it does: at module level, inside a
    function or a class, or by name through importlib / __import__."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and _imports_by_name(node.func) and node.args
              and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value.split(".")[0])
    return found


def _imports_by_name(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("import_module", "__import__")


def _imports(path: Path) -> set[str]:
    return _imports_in(path.read_text(encoding="utf-8"))


def _checked(path: Path) -> bool:
    """Whether the rule applies to this file: in our packages, outside the adapters."""
    inside = any((ROOT / package) in path.parents for package in PACKAGES)
    return inside and ADAPTERS not in path.parents


def test_no_messaging_library_outside_bot_channels() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if not _checked(path):
                continue
            bad = _imports(path) & MESSAGING
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_check_itself_sees_an_import() -> None:
    probe = ROOT / "bot" / "channels" / "console.py"
    assert "rich" in _imports(probe)


def test_the_check_sees_imports_inside_functions_and_by_name() -> None:
    source = '''
import json

def send() -> None:
    from aiogram import Bot

class Later:
    def load(self) -> None:
        import telegram.ext
        importlib.import_module("pywa.types")
        __import__("aiogram")
        from . import sibling
'''
    assert _imports_in(source) == {"json", "aiogram", "telegram", "pywa"}


def test_the_whole_code_base_but_the_adapters_is_checked() -> None:
    assert _checked(ROOT / "bot" / "web" / "pages.py"), "the dashboard, once it exists"
    assert _checked(ROOT / "bot" / "cli" / "chat.py")
    assert _checked(ROOT / "handlers" / "faq" / "chat.py")
    assert _checked(ROOT / "scheduler" / "dispatcher.py")
    assert not _checked(ROOT / "bot" / "channels" / "telegram" / "aiogram.py")
    assert not _checked(ROOT / "benchmarks" / "echo_bots.py")
