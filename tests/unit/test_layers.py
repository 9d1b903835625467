"""Dependencies point one way: cli/web → services → repositories → db. Nothing imports cli or web."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pmo_playbook"

# layer -> layers it must never import
FORBIDDEN = {
    "db": {"repositories", "services", "web", "cli", "ai", "migration", "ops"},
    "repositories": {"services", "web", "cli", "ai", "migration"},
    "services": {"web", "cli"},
    "ai": {"web", "cli"},
    "migration": {"web", "cli", "services"},
    "ops": {"web", "cli", "services"},
    "documents": {"db", "repositories", "services", "web", "cli", "ai", "migration", "ops"},
    "web": {"cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_imports_respect_layers() -> None:
    violations = []
    for path in SRC.rglob("*.py"):
        layer = path.relative_to(SRC).parts[0]
        banned = FORBIDDEN.get(layer, set())
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "pmo_playbook" and len(parts) > 1 and parts[1] in banned:
                violations.append(f"{path.relative_to(SRC)} imports {module}")
    assert violations == []


def test_no_sql_outside_repositories_db_and_migration() -> None:
    """SQL lives in repositories/, db/ and the migration loader (style rule 3)."""
    allowed = {"repositories", "db", "migration"}
    statement = re.compile(
        r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s)",
        re.DOTALL,
    )
    offenders = []
    for path in SRC.rglob("*.py"):
        layer = path.relative_to(SRC).parts[0]
        if layer in allowed:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if statement.match(text):
                    offenders.append(f"{path.relative_to(SRC)}: {text[:40]!r}")
    assert offenders == []
