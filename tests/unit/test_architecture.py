"""STYLE.md "Dependency direction", checked on the source text (importing would load Flask).

(a) The modules under surveyapp/ import each other without a cycle: every import statement
counts, at module level or inside a function (a function-level import only hides an edge), and
relative imports are resolved. An edge goes to the module named: `from ..models import User`
is an edge to surveyapp.models, `from . import ledger` one to surveyapp.services.ledger. The
parent packages a dotted import runs first are not edges of their own: the code does not state
them, and every module would otherwise cycle through surveyapp/__init__.py.

(b) Services are use cases, not views: none reads the request, the logged-in user, `g` or the
session from flask / flask_login; the web layer passes what they need as arguments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "surveyapp"
SERVICES = PACKAGE / "services"
#: what a service must not read (issue 11 item 6)
REQUEST_STATE = {"request", "current_user", "g", "session"}
WEB_MODULES = ("flask", "flask_login")

Graph = dict[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    """surveyapp/services/ledger.py -> surveyapp.services.ledger; a package is its __init__."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules_under(package: Path) -> dict[str, Path]:
    """Module name -> source file of every module of the package (itself included)."""
    root = package.parent
    return {module_name(p, root): p for p in sorted(package.rglob("*.py"))}


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of the modules, or None (third party)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _base(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    """The absolute module a `from … import` reads from (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]  # a module's `.` is its package
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def imported_modules(
    tree: ast.AST, current: str, is_package: bool, modules: Mapping[str, Path]
) -> set[str]:
    """Every module of `modules` that this source imports, at any depth of the tree."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _base(node, current, is_package)
            # `from pkg import mod` names the submodule; `from mod import name` the module
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        out.update(t for t in (_known(name, modules) for name in targets) if t)
    out.discard(current)
    return out


def import_graph(package: Path) -> Graph:
    """Module -> the modules of the same package it imports."""
    modules = modules_under(package)
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = imported_modules(tree, name, path.name == "__init__.py", modules)
    return graph


def _components(graph: Graph) -> Iterator[list[str]]:
    """Strongly connected components (Tarjan, iterative) with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        yield sorted(component)


def _cycle_in(graph: Graph, component: list[str]) -> list[str]:
    """One concrete cycle through a component's first module: [a, b, …, a]."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    edges = [iter(sorted(graph[start] & members))]
    while edges:
        for nxt in edges[-1]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                path.append(nxt)
                edges.append(iter(sorted(graph[nxt] & members)))
                break
        else:
            edges.pop()
            path.pop()
    raise AssertionError(f"no cycle through {start} in {component}")  # pragma: no cover


def import_cycles(graph: Graph) -> list[list[str]]:
    """One cycle per group of modules that import each other, e.g. [a, b, a]."""
    return [_cycle_in(graph, component) for component in _components(graph)]


def request_state_reads(path: Path) -> list[str]:
    """'line: what' for each import (or flask.<name> use) of the request state in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    aliases: set[str] = set()  # local names bound to the flask / flask_login modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in WEB_MODULES:
            found += [
                f"{node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name in REQUEST_STATE
            ]
        elif isinstance(node, ast.Import):
            aliases.update(
                alias.asname or alias.name
                for alias in node.names
                if alias.name.split(".")[0] in WEB_MODULES
            )
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in REQUEST_STATE
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


# ---- the checks themselves are checked on small literal packages -----------------------------


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_hidden_in_a_function_level_import_is_found(tmp_path):
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/low.py": "def f():\n    from ..high import g\n",
            "pkg/high.py": "from .sub import low\n",
            "pkg/other.py": "import pkg.high\nimport json\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.high"] == {"pkg.sub.low"}
    assert graph["pkg.sub.low"] == {"pkg.high"}
    assert graph["pkg.other"] == {"pkg.high"}  # third-party and stdlib imports are no edges
    assert import_cycles(graph) == [["pkg.high", "pkg.sub.low", "pkg.high"]]


def test_imports_of_names_and_of_parent_packages_are_no_cycle(tmp_path):
    package = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import f\n",  # the package re-exports a name of a
            "pkg/a.py": "def f():\n    pass\n",
            "pkg/b.py": "from pkg.a import f\nfrom . import a\n",  # b runs pkg/__init__ first
        },
    )
    graph = import_graph(package)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": set(), "pkg.b": {"pkg.a"}}
    assert import_cycles(graph) == []


def test_request_state_is_found_however_it_is_imported(tmp_path):
    path = tmp_path / "svc.py"
    path.write_text(
        "import flask\n"
        "from flask import current_app, g\n"
        "from flask_login import current_user as who\n"
        "def f():\n"
        "    return flask.request.args, flask.current_app\n",
        encoding="utf-8",
    )
    assert request_state_reads(path) == [
        "2: from flask import g",
        "3: from flask_login import current_user",
        "5: flask.request",
    ]


# ---- the architecture ------------------------------------------------------------------------


def test_the_graph_covers_the_package():
    graph = import_graph(PACKAGE)
    assert len(graph) >= 40
    assert "surveyapp.services.records" in graph["surveyapp.services.ledger"]
    assert "surveyapp.scoring" in graph["surveyapp.schemes"]


def test_no_import_cycles_in_surveyapp():
    cycles = import_cycles(import_graph(PACKAGE))
    assert not cycles, "import cycles (break the back-edge; no function-level imports):\n" + (
        "\n".join(" -> ".join(cycle) for cycle in cycles)
    )


def test_services_do_not_read_the_request():
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(SERVICES.rglob("*.py"))
        for hit in request_state_reads(path)
    ]
    assert not found, "services read request state (pass it in from the view):\n" + "\n".join(found)


#: what naming an HTTP status looks like in a service
_HTTP_MODULES = ("werkzeug.exceptions", "http")
_STATUS_WORDS = ("status", "status_code", "http_status")


def http_status_uses(path: Path) -> list[str]:
    """line: what — HTTP exception imports, abort(), and 4xx/5xx literals given as a status."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "") in _HTTP_MODULES:
            hits.append(f"{node.lineno}: imports {node.module}")
        elif isinstance(node, ast.ImportFrom) and node.module == "flask":
            hits += [f"{node.lineno}: imports abort" for a in node.names if a.name == "abort"]
        elif isinstance(node, ast.Call):
            args = [*node.args, *(k.value for k in node.keywords)]
            statuses = [
                a.value
                for a in args
                if isinstance(a, ast.Constant) and type(a.value) is int and 400 <= a.value < 600
            ]
            named = any(k.arg in _STATUS_WORDS for k in node.keywords)
            callee = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if statuses and (named or callee == "abort" or callee.endswith("Error")):
                hits.append(f"{node.lineno}: {callee}(…{statuses[0]}…)")
    return hits


def test_an_http_status_in_a_service_is_found(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from werkzeug.exceptions import NotFound\n"
        "from flask import abort\n"
        "def f():\n"
        "    raise DomainError('x', 'y', 409)\n"
        "def g():\n"
        "    return make(status=422)\n",
        encoding="utf-8",
    )
    assert len(http_status_uses(bad)) == 4
    good = tmp_path / "good.py"
    good.write_text("MAX = 500\ndef f(ids):\n    return chunks(ids, 500)\n", encoding="utf-8")
    assert http_status_uses(good) == []


def test_services_name_no_http_status():
    """Only the web layer knows statuses (web/errors.py maps each DomainError code)."""
    found = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in sorted(SERVICES.rglob("*.py"))
        for hit in http_status_uses(path)
    ]
    assert not found, "services name HTTP statuses:\n" + "\n".join(found)
