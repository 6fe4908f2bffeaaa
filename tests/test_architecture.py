"""The layers of the house, enforced: the kernel imports nothing of ours, a layer never
imports one above it, no import cycles, no messaging library outside bot/channels/, and
imports placed inside functions are the rare exception (counted, each with a reason)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "content", "scheduler")
MESSAGING = {"aiogram", "telegram", "pywa"}
# lowest first; a module may import its own layer and the ones below
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernel", ("bot.core",)),
    ("content", ("content", "bot.config", "bot.loop")),
    ("storage", ("bot.storage",)),
    ("scheduler", ("scheduler",)),
    ("features", ("handlers",)),
    ("app", ("bot.app", "bot.runtime", "bot.channels", "bot.web", "bot.cli", "bot")),
)
# imports inside functions allowed at most, each with a reason on its line or the one above
MAX_LOCAL_IMPORTS = 5


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported project module (or package)
    line: int
    local: bool  # inside a function
    reason: str  # the comment on its line or the line above


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Lines of `if TYPE_CHECKING:` blocks: imports for type annotations only."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _function_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` refers to (itself, or the nearest package above it)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports() -> list[Import]:
    modules = _modules()
    found: list[Import] = []
    for mod, path in modules.items():
        source = path.read_text(encoding="utf-8")
        text = source.splitlines()
        tree = ast.parse(source)
        skip = _type_checking_lines(tree)
        inside = _function_lines(tree)
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names] or [node.module]
            else:
                continue
            if node.lineno in skip:
                continue
            for name in names:
                target = _resolve(name, modules)
                if target is None or target == mod:
                    continue
                comment = " ".join(t.split("#", 1)[1] for t in text[node.lineno - 2:node.lineno]
                                   if "#" in t)
                found.append(Import(mod, target, node.lineno, node.lineno in inside,
                                    comment.strip()))
    return found


def layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} belongs to no layer"
    return rank


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_edge(imp: Import) -> bool:
    """An import of a package's own `__init__` from inside it is not an edge of the graph."""
    return imp.source.startswith(imp.target + ".")


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    edges = [(i.source, i.target) for i in imports() if not _package_edge(i)]
    assert cycles(edges) == []


def test_no_layer_imports_one_above_it() -> None:
    wrong = [f"{i.source}:{i.line} ({LAYERS[layer(i.source)][0]}) imports {i.target} "
             f"({LAYERS[layer(i.target)][0]})"
             for i in imports() if layer(i.target) > layer(i.source)]
    assert wrong == []


def test_the_kernel_and_the_scheduler_import_no_feature() -> None:
    found = [f"{i.source} imports {i.target}" for i in imports()
             if i.target.startswith("handlers") and i.source.startswith(("bot.core", "scheduler"))]
    assert found == []


def test_imports_inside_functions_are_few_and_each_has_a_reason() -> None:
    local = [i for i in imports() if i.local]
    assert len(local) <= MAX_LOCAL_IMPORTS, [f"{i.source}:{i.line}" for i in local]
    assert [f"{i.source}:{i.line}" for i in local if not i.reason] == []


def test_a_feature_reaches_data_through_repositories_not_the_session() -> None:
    offenders = []
    for path in (ROOT / "handlers").rglob("*.py"):
        if ".session" in path.read_text(encoding="utf-8").replace("self.session", ""):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


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


def _libraries(path: Path) -> set[str]:
    return _imports_in(path.read_text(encoding="utf-8"))


def test_the_messaging_check_sees_imports_inside_functions_and_by_name() -> None:
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


def test_no_messaging_library_outside_bot_channels() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if (ROOT / "bot" / "channels") in path.parents:
                continue
            bad = _libraries(path) & MESSAGING
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_checks_themselves_see_what_they_look_for() -> None:
    assert "rich" in _libraries(ROOT / "bot" / "channels" / "console.py")
    found = imports()
    assert any(i.source == "handlers.registry" and i.target.startswith("handlers.learning")
               for i in found)
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert layer("bot.core.payloads") < layer("content.loader") < layer("bot.storage.db")
    assert layer("scheduler.planner") < layer("handlers.faq.chat") < layer("bot.cli.coach")


def _names_tests(path: Path) -> bool:
    """Whether code (not a docstring or comment) imports tests or names a path in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and n.body and isinstance(n.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                id(node) not in docstrings) and (node.value == "tests" or "tests/" in node.value):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and "tests" in _libraries_of(node):
            return True
    return False


def _libraries_of(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    return {node.module.split(".")[0]} if node.module else set()


def test_the_runtime_never_reads_tests() -> None:
    offenders = [str(p.relative_to(ROOT)) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                 if _names_tests(p)]
    assert offenders == []
    assert _names_tests(ROOT / "benchmarks" / "tools" / "faq_calibrate.py")
