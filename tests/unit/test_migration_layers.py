"""The migration package's layers: sources → codec → load → verify → reverse, and no cycles.

Every import of a migration module (function-level ones included) is read from the source with
`ast`; a module may import only from its own layer or from the layers before it, and the
module graph has no cycle (a function-level import does not hide one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pmo_playbook.migration

ROOT = Path(pmo_playbook.migration.__file__).parent
PACKAGE = "pmo_playbook.migration"
# Layer of each top-level part of the package (a module or a subpackage), in flow order.
LAYERS = {
    "connection": 0,  # the migration connection (db only), beneath every layer
    "exact_bson": 0,  # BSON's exact value model and the one BSON walker, beneath every layer
    "sources": 1,
    "mapping": 2,  # source collection → registry table spec
    "codec": 2,
    "load": 3,
    "verify": 4,
    "reverse": 4,
    "plan": 5,  # the read-only pre-flight over sources, mapping and codec
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join((PACKAGE, *parts))


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[2:])
    return (ROOT / rel).with_suffix(".py").exists() or (ROOT / rel / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE + "."))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _is_module(sub) else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {_module_name(p): _imports(p) for p in ROOT.rglob("*.py")}
    return {m: {i for i in imports if i != m and i != PACKAGE} for m, imports in graph.items()}


def _part(module: str) -> str:
    return module.split(".")[2]


def test_migration_modules_import_only_their_layer_or_earlier_ones() -> None:
    wrong = []
    for module, imports in _graph().items():
        if module == PACKAGE:
            continue
        for target in imports:
            mine, theirs = _part(module), _part(target)
            if mine != theirs and LAYERS[theirs] >= LAYERS[mine]:
                wrong.append(f"{module} → {target}")
    assert wrong == []


def test_migration_import_graph_has_no_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path, module, target]
            if target not in state and (cycle := visit(target, [*path, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            assert visit(module, []) is None


def test_every_part_of_the_migration_package_has_a_layer() -> None:
    parts = {_part(m) for m in _graph() if m != PACKAGE}
    assert parts == set(LAYERS)
