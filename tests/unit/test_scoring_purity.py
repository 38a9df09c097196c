"""STYLE.md: surveyapp/scoring/ imports only the standard library (checked on the source text)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SCORING = Path(__file__).resolve().parents[2] / "surveyapp" / "scoring"
FORBIDDEN = {"flask", "sqlalchemy", "pandas", "numpy", "plotly", "scipy", "flask_sqlalchemy"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_scoring_sources_exist():
    assert len(list(SCORING.glob("*.py"))) >= 5


def test_no_forbidden_imports_in_scoring():
    for path in sorted(SCORING.rglob("*.py")):
        bad = imported_modules(path) & FORBIDDEN
        assert not bad, f"{path.name} imports {sorted(bad)}"
        text = path.read_text(encoding="utf-8")
        for name in FORBIDDEN:
            assert f"import {name}" not in text, f"{path.name} mentions 'import {name}'"
            assert f"from {name}" not in text, f"{path.name} mentions 'from {name}'"


def test_scoring_imports_only_the_standard_library_or_itself():
    for path in sorted(SCORING.rglob("*.py")):
        for name in imported_modules(path):
            assert name in sys.stdlib_module_names or name == "__future__", (
                f"{path.name} imports non-stdlib module {name!r}"
            )
