"""Property: hostile input into every write route of the API never breaks the server or its data.

Hypothesis draws JSON bodies (strings with NUL and lone surrogates, very long ids, huge and
out-of-range numbers, nested structures, SQL/tsquery metacharacters), path and query values for
every POST/PUT/PATCH/DELETE route under /api, sent as an admin (the caller who can write most).
Never a 5xx; a body that carries text PostgreSQL cannot store is refused whole, so the demo
data's row counts and digests are unchanged; afterwards the id counters still allocate.
Deterministic (derandomized, fixed example counts) so that it runs the same in CI."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.hostile.conftest import table_digests
from tests.e2e.sops.conftest import sop_markdown

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXAMPLES = 12  # per route and property: ~20 routes, well under a minute in all
POISON = ["a\x00b", "\x00", "\udc00", "x\ud800y", "PRO-001\x00"]
TRICKY = [
    "PRO-" + "1" * 5000,
    "SOP-" + "9" * 5000,
    "SOP-99999999999999999999",
    "PRO-9999999999",
    "' OR 1=1 --",
    "a & | ! ( ) :* <->",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%00%ZZ",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "",
    " ",
]
HUGE = [2**31, 2**63, -(2**63) - 1, 10**400, -1, 0]
# Raw bodies no JSON encoder writes: deep nesting, a 5000-digit number, bad UTF-8, truncation.
RAW = [
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b'{"projectId": ' + b"9" * 5000 + b"}",
    b'{"sopId": "\xff\xfe"}',
    b'{"projectName": "x"',
    b"NaN",
]

texts = st.one_of(st.text(max_size=30), st.sampled_from(POISON + TRICKY))
scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(HUGE),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
)


def _write_routes(client: TestClient) -> list[tuple[str, str, list[str]]]:
    """(method, path, query parameter names) of every write operation under /api."""
    document = client.get("/openapi.json").json()
    return sorted(
        (
            method.upper(),
            path,
            [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"],
        )
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if path.startswith("/api") and method.upper() in WRITE_METHODS
    )


def _field_names(client: TestClient) -> list[str]:
    """Every property name of every request body in the OpenAPI document."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    document = client.get("/openapi.json").json()
    for path in document["paths"].values():
        for operation in path.values():
            walk(operation.get("requestBody", {}))
    walk(document.get("components", {}))
    return sorted(names)


def _quote(text: str) -> str:
    # surrogatepass: a lone surrogate goes out as its (invalid) UTF-8 bytes, percent-escaped
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _url(path: str, params: list[str], query: dict[str, str] | None = None) -> str:
    filled = iter(params)
    url = "/".join(_quote(next(filled)) if p.startswith("{") else p for p in path.split("/"))
    if query:
        url += "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query.items())
    return url


def _queries(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(names), texts, max_size=3) if names else st.just({})


def _send(client: TestClient, method: str, url: str, body: bytes) -> int:
    headers = {"Content-Type": "application/json"}
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code < 500, (method, url, body[:300], response.text[:300])
    return response.status_code


def _encode(body: Any) -> bytes:
    # ensure_ascii writes a lone surrogate as the \\udc00 escape, as a hostile client would
    return json.dumps(body, ensure_ascii=True).encode()


def _for_all(cases: st.SearchStrategy[dict[str, Any]], probe: Callable[[Any], None]) -> None:
    """Run `probe` on EXAMPLES cases drawn from `cases`, the same ones on every run."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: dict[str, Any]) -> None:
        probe(case)

    run()


def _poisoned_write_is_refused(
    client: TestClient, method: str, path: str, case: dict[str, Any]
) -> None:
    body = {**case["body"], case["field"]: case["poison"]}
    status = _send(client, method, _url(path, case["params"], case["query"]), _encode(body))
    # NUL or a lone surrogate anywhere in the body: refused whole (4xx), nothing stored
    assert status >= 400, (method, path, body)


def _hostile_write(client: TestClient, method: str, path: str, case: dict[str, Any]) -> None:
    _send(client, method, _url(path, case["params"], case["query"]), _encode(case["body"]))


def test_hostile_bodies_and_path_params_never_5xx_and_poison_changes_nothing(
    admin: TestClient, demo_url: DatabaseUrl
) -> None:
    fields = _field_names(admin)
    assert {"projectId", "sopId", "sessionId", "message"} <= set(fields)
    routes = _write_routes(admin)
    assert len(routes) >= 15, routes
    before = table_digests(demo_url)
    for method, path, query_names in routes:
        holes = path.count("{")
        poisoned = st.fixed_dictionaries(
            {
                "body": st.dictionaries(st.sampled_from(fields) | texts, values, max_size=6),
                "field": st.sampled_from(fields),
                "poison": st.sampled_from(POISON),
                "params": st.lists(texts, min_size=holes, max_size=holes),
                "query": _queries(query_names),
            }
        )
        _for_all(poisoned, partial(_poisoned_write_is_refused, admin, method, path))
        for raw in RAW:  # at an id nobody has, so a route that ignores its body changes nothing
            _send(admin, method, _url(path, ["NOPE-000"] * holes), raw)
    assert table_digests(demo_url) == before


def test_hostile_writes_never_5xx_and_id_allocation_keeps_working(
    admin: TestClient, fixtures_dir: Path
) -> None:
    fields = _field_names(admin)
    for method, path, query_names in _write_routes(admin):
        holes = path.count("{")

        cases = st.fixed_dictionaries(
            {
                "body": st.dictionaries(st.sampled_from(fields), values, max_size=6),
                "params": st.lists(texts, min_size=holes, max_size=holes),
                "query": _queries(query_names),
            }
        )
        _for_all(cases, partial(_hostile_write, admin, method, path))
    project = {"projectName": "After", "sponsor": "S", "businessCaseSummary": "b"}
    created = admin.post("/api/projects", json={**project, "resourceRequirements": "r"})
    assert created.status_code == 201, created.text
    markdown = sop_markdown(fixtures_dir, 3)
    sop = admin.post("/api/content-db", json={"markdownContent": markdown, "phase": 3})
    assert sop.status_code == 201, sop.text
