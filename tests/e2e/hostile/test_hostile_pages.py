"""HTML pages: out-of-range integers and odd strings in the query or the path never a 500.

Every GET page of the app (read from its routes, so a new page is covered) is requested as an
admin (the caller who sees every page) with each of its query parameters, plus the usual
paging names (page, skip, limit, offset), set to hostile values: beyond int64, negative,
exponent notation, percent-escapes of NUL, bad UTF-8 and a lone surrogate, very long text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.web.app import create_app
from pmo_playbook.web.pages import PAGE_MODULES
from tests.support.app import settings_for

PAGING = ("page", "skip", "limit", "offset")
# Raw query/path text (already percent-encoded where it must be).
HOSTILE = [
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "-1",
    "0",
    "1e400",
    "NaN",
    "%00",
    "a%00b",
    "%ff%fe",
    "%ed%b0%80",  # a lone surrogate, UTF-8 encoded
    "%25ZZ",
    "x" * 5000,
    "%27%20OR%201%3D1%20--",
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3E",
]


@pytest.fixture
def pages_app(demo_url: DatabaseUrl, tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(settings_for(demo_url, tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield app, client


def _page_routes() -> list[APIRoute]:
    """The GET routes of every page router `install_pages` includes."""
    return [
        route
        for module in PAGE_MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    ]


def _fill(path: str, value: str) -> str:
    return "/".join(value if part.startswith("{") else part for part in path.split("/"))


@pytest.mark.slow
def test_every_page_survives_hostile_query_and_path_values(
    pages_app: tuple[FastAPI, TestClient], admin_token: str
) -> None:
    _, client = pages_app
    client.headers["Authorization"] = f"Bearer {admin_token}"
    routes = _page_routes()
    assert {"/", "/chat", "/admin/sops", "/admin/audit", "/sop/{ref}"} <= {r.path for r in routes}
    failures = []
    for route in routes:
        names = {p.alias for p in route.dependant.query_params} | set(PAGING)
        for value in HOSTILE:
            urls = [f"{_fill(route.path, 'SOP-001')}?{name}={value}" for name in sorted(names)]
            if "{" in route.path:
                urls.append(_fill(route.path, value))
            for url in urls:
                response = client.get(url, follow_redirects=False)
                if response.status_code >= 500:
                    failures.append((url[:120], response.status_code))
    assert not failures, failures


def test_out_of_range_paging_is_a_page_not_an_error(
    pages_app: tuple[FastAPI, TestClient], admin_token: str
) -> None:
    _, client = pages_app
    client.headers["Authorization"] = f"Bearer {admin_token}"
    for value in ("9223372036854775808", "-1", "abc"):
        for url in (f"/admin/audit?page={value}", f"/admin/sops?page={value}&limit={value}"):
            response = client.get(url)
            assert response.status_code in (200, 400, 422), (url, response.status_code)
            assert "text/html" in response.headers["content-type"], url
