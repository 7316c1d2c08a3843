"""The shape of the code: who may import whom, and how big a module may grow.

`app/` is a handful of packages, each one concept; its `__init__.py` says what lives there and
what it may import. These tests read the source (no import is executed) and fail on an import
circle inside `app/` or a library, on a package importing one it must not, on a library (`sync/`, `push/`,
`media/`) importing `app/`, and on a module over 500 lines. Every import counts, also those made
inside a function or under `TYPE_CHECKING`: a circle hidden by a late import is still a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("sync", "push", "media")
MAX_LINES = 500
MAX_TOP_LEVEL_MODULES = 12

# What each part of `app/` may import from `app/`, besides itself. The same table, in words, is in
# docs/architecture.md and in each package's docstring. A top-level module is its own part.
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "errors": set(),
    "categories": set(),  # the categories' names and colours (issue 23: one vocabulary)
    "inputs": {"errors"},
    "storage": set(),
    "identity": {"storage", "errors", "settings"},
    "directory": {"storage", "identity", "errors"},
    "incidents": {"storage", "identity", "directory", "errors", "settings", "categories"},
    "stats": {"storage", "identity", "directory", "incidents", "errors", "settings", "inputs", "categories"},
    # issue 24: public warnings; beside incidents, knowing nothing of them
    "warnings": {"storage", "identity", "directory", "errors", "settings", "inputs"},
    "schema": {"storage", "identity", "directory", "incidents", "stats", "warnings"},
    "web": {"storage", "identity", "directory", "incidents", "stats", "errors", "settings",
            "services", "inputs", "warnings", "evidence"},
    "main": {"web", "identity", "errors", "services", "settings", "inputs"},
    # issue 26: `sos backup` / `sos restore` of the embedded deployment (files and SQLite only)
    "backup": {"settings"},
    # issue 27: the evidence key, the audit log's chain checks and checkpoints, the case bundle
    "evidence": {"settings", "storage", "identity", "errors"},
    "services": {"storage", "identity", "directory", "incidents", "stats", "settings", "schema",
                 "warnings", "evidence"},
    "cli": {"directory", "services", "settings", "main", "backup", "evidence"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(*tops: str) -> Iterator[Path]:
    for top in tops:
        yield from sorted((ROOT / top).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, `from x import y` counted as x.y
    when x.y is a module of the tree and as x otherwise."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                found.add(child if _is_module(child) else target)
    return found


def _is_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph_of(top: str) -> dict[str, set[str]]:
    """Who imports whom among the modules under `top` (a package's `__init__` as the package)."""
    graph: dict[str, set[str]] = {}
    for path in sources(top):
        me = module_name(path)
        graph[me] = {m for m in imported_modules(path) if m.startswith(f"{top}.") and m != me}
    return graph


def app_graph() -> dict[str, set[str]]:
    return graph_of("app")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def part_of(module: str) -> str:
    """`app.incidents.kinds` -> `incidents`; `app.main` -> `main`; `app` -> `app`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_circle_inside_app() -> None:
    assert cycles(app_graph()) == []


@pytest.mark.parametrize("library", LIBRARIES)
def test_no_import_circle_inside_a_library(library: str) -> None:
    # The peers once took the engine and the engine the peers (issue 28): a library's parts
    # meet through small protocols instead, as the room meets its WebSocket.
    assert cycles(graph_of(library)) == []


def test_cycle_finder_finds_a_circle() -> None:
    # The check above must be able to fail: a -> b -> c -> a is found, the tail d is not in it.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_each_part_imports_only_what_it_may() -> None:
    wrong = []
    for module, targets in app_graph().items():
        mine = part_of(module)
        assert mine in ALLOWED or mine == "app", f"{module}: a new part of app/ needs a row in ALLOWED"
        for target in targets:
            theirs = part_of(target)
            if theirs != mine and theirs not in ALLOWED.get(mine, set()):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("library", LIBRARIES)
def test_libraries_never_import_app(library: str) -> None:
    offenders = [
        f"{module_name(p)} imports {m}"
        for p in sources(library)
        for m in imported_modules(p)
        if m == "app" or m.startswith("app.")
    ]
    assert offenders == []


def test_no_module_over_500_lines() -> None:
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in sources("app", *LIBRARIES)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]
    assert long == []


def test_app_has_a_handful_of_top_level_modules_and_documented_packages() -> None:
    top = sorted(p.name for p in (ROOT / "app").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    packages = sorted(p.parent for p in (ROOT / "app").glob("*/__init__.py"))
    assert packages
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and "may import" in doc.lower(), f"{package.name}/__init__.py: say what lives there and what it may import"
