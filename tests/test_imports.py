"""The import graph between packages: no cycles, core below every domain, notifications apart.

Every module under journey/ and notifications/ is parsed with ``ast`` (nothing is imported), and
every import counts, module-level or inside a function: an import moved into a function still makes
the package depend on the other one, it only hides the cycle from Python's import machinery.

Imports under ``if TYPE_CHECKING:`` are left out. They never run, and with
``from __future__ import annotations`` they only name a type in an annotation: the module works
with the other package absent. Counting them would push authors to write ``Any`` instead, which
hides the same dependency from the type checker as well. Any import that runs counts. (When this
test was written, counting them too found no further cycle.)
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP = ("journey", "notifications")
# The application's composition root: it assembles every domain and may import any of them.
APP = "journey"
APP_MODULES = {"journey", "journey.cli", "journey.models"}


def _node(module: str) -> str | None:
    """The package a module belongs to: journey.<sub-package or module>, or notifications."""
    parts = module.split(".")
    if parts[0] == "notifications":
        return "notifications"
    if parts[0] != "journey":
        return None
    if ".".join(parts[:2]) in APP_MODULES or len(parts) == 1:
        return APP
    return ".".join(parts[:2])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, int]] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(alias.name, node.lineno) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.module.split(".")
            if not self.is_package:
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        # "from journey import cli" imports journey.cli: count each name as a possible module too.
        self.found.append((target, node.lineno))
        self.found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]


def import_graph() -> dict[str, dict[str, list[str]]]:
    """{package: {imported package: ["path:line", ...]}} over every module, imports in functions too."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for top in TOP:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            parts = list(rel.with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            module = ".".join(parts)
            source = _node(module)
            visitor = _Imports(module, is_package)
            visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(rel)))
            for target, line in visitor.found:
                dest = _node(target)
                if dest is not None and dest != source:
                    graph[source][dest].append(f"{rel}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
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

    for v in sorted(set(graph) | {w for edges in graph.values() for w in edges}):
        if v not in index:
            visit(v)
    return found


def _describe(graph, component: list[str]) -> str:
    lines = [" <-> ".join(component)]
    for a in component:
        for b in component:
            if b in graph.get(a, {}):
                lines.append(f"  {a} -> {b}: {', '.join(sorted(set(graph[a][b]))[:4])}")
    return "\n".join(lines)


def test_no_import_cycle_between_packages():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(graph, c) for c in found)


def test_skillcards_and_credentials_do_not_import_each_other():
    graph = import_graph()
    assert "journey.skillcards" not in graph["journey.credentials"], \
        graph["journey.credentials"]["journey.skillcards"]


def test_core_imports_no_domain():
    graph = import_graph()
    allowed = {"journey.config"}
    assert set(graph["journey.core"]) <= allowed, dict(graph["journey.core"])


def test_notifications_imports_no_journey_domain():
    graph = import_graph()
    assert set(graph["notifications"]) <= {"journey.core", "journey.config"}, \
        dict(graph["notifications"])


def test_the_graph_sees_imports_inside_functions():
    # The test would be worthless if imports inside functions or under an `if` slipped through.
    visitor = _Imports("journey.x.services", False)
    visitor.visit(ast.parse(
        "import os\n"
        "def f():\n    from journey.y.services import g\n"
        "if TYPE_CHECKING:\n    from journey.z import User\nelse:\n    from . import models\n"
        "class C:\n    def m(self):\n        from ..w import v\n"))
    assert {target for target, _line in visitor.found} == {
        "os", "journey.y.services", "journey.y.services.g", "journey.x", "journey.x.models",
        "journey.w", "journey.w.v"}
    assert not cycles({"a": {"b": []}, "b": {"c": []}})
    assert cycles({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == [["a", "b", "c"]]


# Packages whose routes still hold their own rules and audit (issue 9, item 2, done in parallel);
# empty this set when their logic moves into services.
ROUTES_NOT_YET_THIN = {"messaging", "programmes", "organisations", "costs"}


def test_routes_and_pages_leave_auditing_to_services():
    """Reads and writes are audited by the service that does them, never by a route or page."""
    offenders = []
    for path in sorted((ROOT / "journey").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if path.stem not in ("routes", "pages") or rel.parts[1] in ROUTES_NOT_YET_THIN:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        visitor = _Imports(".".join(rel.with_suffix("").parts), False)
        visitor.visit(tree)
        offenders += [f"{rel}:{line}" for target, line in visitor.found
                      if target == "journey.core.audit.record"]
        offenders += [f"{rel}:{node.lineno}" for node in ast.walk(tree)
                      if isinstance(node, ast.Attribute) and node.attr == "record"
                      and isinstance(node.value, ast.Name) and node.value.id == "audit"]
    assert offenders == []


def test_no_module_over_500_lines():
    """Split a module at about 500 lines (house style): a long one hides more than one job."""
    long = {}
    for top in TOP:
        for path in (ROOT / top).rglob("*.py"):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > 500:
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}
