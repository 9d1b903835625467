"""Which request paths are machine paths (JSON, probes, assets) and which are HTML pages."""

from __future__ import annotations

MACHINE_ROOTS = ("/api", "/healthz", "/static", "/docs", "/redoc", "/openapi.json")


def is_machine_path(path: str) -> bool:
    """True for /api, /healthz, assets and the API docs; False for the HTML pages."""
    return any(path == root or path.startswith(root + "/") for root in MACHINE_ROOTS)
