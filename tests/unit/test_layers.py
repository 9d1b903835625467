"""The layer contract, read from the source with `ast` (function-level imports included).

Dependencies point one way (docs/architecture.md "Layout"):

    cli ─┬─> services ──> repositories ──> db
    web ─┘      │  └──> ai ──> repositories
                └──> sync ──> migration ──> db
    documents, errors, config at the bottom; ops beside migration.

The edges (web, cli) own connections and transactions; below them nothing opens a connection
except the migration toolkit (its COPY and writer-lock sessions). Nothing imports `web` but the
command that serves it, and inside `web` the app is assembled in `web/app.py` only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "pmo_playbook"
PACKAGE = "pmo_playbook"

# Top-level part -> the parts it may import (everything else is a violation).
BOTTOM = {"errors", "config", "__version__"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "config": {"errors"},
    "documents": {"errors"},
    "db": {"config", "errors"},
    "logs": {"db"},  # redacts database URLs in log lines
    "repositories": {"documents", "db", *BOTTOM},
    "ai": {"repositories", "documents", *BOTTOM},
    "migration": {"db", "documents", *BOTTOM},
    "ops": {"db", *BOTTOM},
    "sync": {"migration", "repositories", "documents", "db", *BOTTOM},
    "services": {"repositories", "ai", "sync", "documents", "db", *BOTTOM},
    "web": {"services", "ai", "documents", "db", *BOTTOM},
    "cli": {"services", "migration", "sync", "ops", "web", "db", "logs", "documents", *BOTTOM},
    "__main__": {"cli"},
    "__init__": set(),
    "sample_data": set(),
}
# Narrower rules for single modules of the layers above: (importer prefix, imported prefix, why).
OPENS_CONNECTIONS = ("pmo_playbook.db.connect", "pmo_playbook.db.pool", "pmo_playbook.db.embedded")
EDGES_ONLY = "the edge (web/app.py, cli/context.py) opens connections and owns the transaction"


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts
        yield ".".join((PACKAGE, *parts)), path


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == PACKAGE:
                found.update(f"{PACKAGE}.{alias.name}" for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE + "."))
    return found


def _part(module: str, depth: int = 1) -> str:
    parts = module.split(".")
    return parts[depth] if len(parts) > depth else ""


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


GRAPH = {module: _imports(path) for module, path in _modules()}


def test_each_layer_imports_only_the_layers_beneath_it() -> None:
    violations = []
    for module, imports in GRAPH.items():
        mine = _part(module)
        allowed = ALLOWED.get(mine)
        assert allowed is not None, f"{module}: add its layer {mine!r} to ALLOWED"
        for target in sorted(imports):
            theirs = _part(target)
            if theirs != mine and theirs not in allowed:
                violations.append(f"{module} imports {target}")
    assert violations == []


def test_only_the_edges_and_the_migration_toolkit_open_connections() -> None:
    may_connect = ("pmo_playbook.db", "pmo_playbook.migration", "pmo_playbook.cli.context")
    may_connect += ("pmo_playbook.web.app", "pmo_playbook.cli.db", "pmo_playbook.cli.serve")
    violations = [
        f"{module} imports {target} ({EDGES_ONLY})"
        for module, imports in GRAPH.items()
        if not any(_under(module, allowed) for allowed in may_connect)
        for target in sorted(imports)
        if any(_under(target, opener) for opener in OPENS_CONNECTIONS)
    ]
    assert violations == []


def test_web_and_cli_reach_repositories_only_through_services() -> None:
    violations = [
        f"{module} imports {target}"
        for module, imports in GRAPH.items()
        if _part(module) in {"web", "cli"}
        for target in sorted(imports)
        if _part(target) == "repositories"
    ]
    assert violations == []


def test_nothing_imports_web_but_the_command_that_serves_it() -> None:
    violations = [
        f"{module} imports {target}"
        for module, imports in GRAPH.items()
        if _part(module) != "web" and module != "pmo_playbook.cli.serve"
        for target in sorted(imports)
        if _part(target) == "web"
    ]
    assert violations == []


def test_inside_web_the_app_is_assembled_in_web_app_only() -> None:
    """Pages and routers are mounted by `create_app`: no other web module imports the pages, the
    JSON routes do not reach into pages, the auth edge knows nothing of pages or routes, and
    only the serving entry points import `web.app`."""
    rules = [
        ("pmo_playbook.web.auth", "pmo_playbook.web.pages"),
        ("pmo_playbook.web.auth", "pmo_playbook.web.api"),
        ("pmo_playbook.web.api", "pmo_playbook.web.pages"),
        ("pmo_playbook.web.middleware", "pmo_playbook.web.pages"),
    ]
    violations = [
        f"{module} imports {target}"
        for module, imports in GRAPH.items()
        for target in sorted(imports)
        for importer, imported in rules
        if _under(module, importer) and _under(target, imported)
    ]
    assemblers = {"pmo_playbook.web", "pmo_playbook.web.app", "pmo_playbook.web.worker_app"}
    violations += [
        f"{module} imports {target} (only web/app.py mounts pages)"
        for module, imports in GRAPH.items()
        if not _under(module, "pmo_playbook.web.pages") and module not in assemblers
        for target in sorted(imports)
        if _under(target, "pmo_playbook.web.pages")
    ]
    violations += [
        f"{module} imports {target} (only the serving entry points build the app)"
        for module, imports in GRAPH.items()
        if module not in assemblers | {"pmo_playbook.cli.serve"}
        for target in sorted(imports)
        if _under(target, "pmo_playbook.web.app")
    ]
    assert violations == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path, node, target]
            if target not in state and (found := visit(target, [*path, node])):
                return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [])):
            return found
    return None


def test_the_parts_of_each_package_form_no_cycle() -> None:
    """Between the sub-packages of one package (web/auth and web/pages, say) dependencies point
    one way too, function-level imports included."""
    cycles = []
    for package in sorted({m for m in GRAPH if (SRC / Path(*m.split(".")[1:])).is_dir()}):
        depth = package.count(".") + 1
        parts: dict[str, set[str]] = {}
        for module, imports in GRAPH.items():
            if not _under(module, package) or module == package:
                continue
            mine = _part(module, depth)
            for target in imports:
                if _under(target, package) and target != package:
                    theirs = _part(target, depth)
                    if theirs and theirs != mine:
                        parts.setdefault(mine, set()).add(theirs)
        if found := _cycle(parts):
            cycles.append(f"{package}: {' → '.join(found)}")
    assert cycles == []


def _project_names(tree: ast.Module) -> set[str]:
    """Names a module imported from the project (its own objects are not in here)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _receiver(func: ast.expr) -> str:
    """`x` for `x(...)`, `x.y(...)` and `x.y.z(...)`."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else ""


def test_nothing_registers_itself_at_import_time() -> None:
    """Listeners, routers and commands are wired by the app factory (and the CLI by cli/main.py),
    never by importing a module: no module-level call such as
    `register_router(app)` and no decorator such as `@migrate_app.command(...)` on an
    object another project module owns."""
    offenders = []
    for module, path in _modules():
        if module in {"pmo_playbook.cli.main", "pmo_playbook.__main__"}:  # the CLI entry points
            continue
        tree = ast.parse(path.read_text())
        foreign = _project_names(tree)
        for node in tree.body:
            calls = [node.value] if isinstance(node, ast.Expr) else []
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                calls = [d for d in node.decorator_list if isinstance(d, ast.Call)]
            for call in calls:
                if isinstance(call, ast.Call) and _receiver(call.func) in foreign:
                    offenders.append(f"{module}: {ast.unparse(call.func)}(...) at import time")
    assert offenders == []


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
