"""What the OpenAPI document promises beyond FastAPI's defaults: the error envelope on every
status a route can answer, and request bodies described with their real constraints.

Legacy routes read their JSON body as a plain object so that a missing field stays the legacy
400 (D3) instead of FastAPI's 422; `json_body(Model)` documents the body those routes accept
(required fields, enums, patterns, bounds) without changing that behaviour.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

_DESCRIPTIONS = {
    400: "Bad request (legacy: a required field is missing, or a parameter is invalid)",
    401: "Not signed in (or an invalid API token)",
    403: "Not allowed for this user, or a CSRF / cross-site check failed",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (duplicate id, illegal transition)",
    413: "Request body too large",
    422: "Invalid input: the field is named in details",
    429: "Too many requests (see Retry-After)",
    503: "Database unavailable (see Retry-After)",
}


class ErrorEnvelope(BaseModel):
    """Every /api error: `{"error": "<message>", "code": "NOT_FOUND", "details": {...}}`."""

    error: str = Field(description="A human-readable message")
    code: str = Field(description="A stable machine-readable code, e.g. NOT_FOUND")
    details: dict[str, Any] = Field(description="What went wrong where (e.g. the field)")


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries: each status answered with the error envelope."""
    return {s: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[s]} for s in statuses}


# What any /api route can answer whatever it does: authentication, authorization, the body
# limit, input refused at the edge (NUL, surrogates, out-of-range numbers), the database.
COMMON = errors(401, 403, 413, 422, 503)
READ = {**COMMON, **errors(400, 404)}
WRITE = {**COMMON, **errors(400, 404, 409)}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra=` for a route that reads its JSON body itself: `model`'s schema, with
    its nested models inlined (the route does not register them as components)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(schema, definitions)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
