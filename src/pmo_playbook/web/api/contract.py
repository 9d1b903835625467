"""What the OpenAPI document promises beyond FastAPI's defaults: the error envelope on every
status a route can answer, and request bodies described with their real constraints.

Legacy routes read their JSON body leniently (a plain object, or a model whose fields are all
optional) so that a missing field stays the legacy 400 (D3) instead of FastAPI's 422. The
document still states what a client must send, without changing that behaviour:
`json_body(Model)` for a plain-object body, `required_fields(...)` for a lenient model, and
`required_query(...)` for query parameters the route itself refuses with the legacy 400 when
they are missing or empty (applied by `install_contract(app)`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import BaseModel, BeforeValidator, Field, StrictInt

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


def _whole_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON Schema "integer" includes 2.0 (JSON does not tell 2 from 2.0), so a body integer takes
# an integral float as that integer; strings and booleans stay refused (422), as StrictInt does.
JsonInt = Annotated[StrictInt, BeforeValidator(_whole_number)]

# Something besides whitespace: the legacy routes treat blank as missing. Spelled as the complement
# of exactly the characters Python's str.strip() removes, because the routes test blankness with
# strip() while a JSON Schema `\S` means ECMAScript whitespace, a different set (U+001C-U+001F and
# U+0085 are whitespace only to Python, U+FEFF only to ECMAScript). \uXXXX escapes read the same in
# ECMAScript, Python `re` and the Rust regex pydantic uses.
NON_BLANK = (
    r"[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_REQUIRED_QUERY = "x-pmo-required-query"  # marker read (and removed) by install_contract


def required_fields(*names: str, blank_is_missing: bool = True) -> Callable[..., None]:
    """`json_schema_extra` of a lenient body model: document `names` as required and not null
    (strings not empty; not blank either when the route treats blank as missing)."""

    def extra(schema: dict[str, Any], *_: Any) -> None:
        properties = schema["properties"]
        for name in names:
            properties[name] = present(properties[name], blank_is_missing=blank_is_missing)
        schema["required"] = [*schema.get("required", []), *names]

    return extra


def present(prop: dict[str, Any], *, blank_is_missing: bool = True) -> dict[str, Any]:
    """A property's schema once it must be sent: no null branch, no default; a string is not
    empty (or not blank)."""
    out = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        out = {**branches[0], **out}
    elif branches:
        out["anyOf"] = branches
    if out.get("type") == "string" and "enum" not in out and "pattern" not in out:
        if blank_is_missing:
            out["pattern"] = NON_BLANK
        else:
            out.setdefault("minLength", 1)
    return out


def required_query(*names: str) -> dict[str, Any]:
    """`openapi_extra=` of a route that answers the legacy 400 itself when one of these query
    parameters is missing or empty: documented as required and non-empty."""
    return {_REQUIRED_QUERY: list(names)}


def install_contract(app: FastAPI) -> None:
    """Make `app.openapi()` apply the `required_query` markers of every route."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    _mark_required(operation)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mark_required(operation: dict[str, Any]) -> None:
    names = operation.pop(_REQUIRED_QUERY, None)
    if not names:
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") in names:
            parameter["required"] = True
            parameter["schema"] = present(parameter["schema"], blank_is_missing=False)
