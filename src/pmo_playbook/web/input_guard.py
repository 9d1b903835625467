"""ASGI middleware: refuse hostile input at the edge, before any route or driver sees it.

- path, query and body text PostgreSQL cannot store (`text_rules.py`): 422 naming the field;
- JSON NaN/Infinity and integers past Python's digit limit: 422;
- broken forms (multipart without or with an empty boundary, more than 1000 fields, bad
  parts): 400 instead of a 500 from deep inside the form parser.

The body is read in full here (the body-size limit sits outside this middleware, so reading it
is bounded and an oversized chunked body becomes the limit's 413, not a parser's 400) and then
replayed to the application unchanged. Because the body has always been read to its end, the
client's connection stays usable after any refusal.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmo_playbook.web.body_replay import read_body, replay
from pmo_playbook.web.text_rules import text_problem, value_problem

MAX_FORM_FIELDS = 1000  # Starlette's own default, stated once for both parsers
_MAX_FIELD_NAME = 120  # a field named in an error message is cut to this many characters
# Only a JSON body with a \u escape of NUL or of a surrogate can hold unstorable text (raw
# control characters are invalid JSON; raw surrogates are invalid UTF-8); numbers are checked
# when the body holds a very long digit run, a huge exponent or a NaN/Infinity literal.
_SUSPECT_JSON = re.compile(
    rb"\\u(?:0000|[dD][89a-fA-F])|[0-9]{1000}|[eE][+-]?[0-9]{3}|NaN|Infinity", re.ASCII
)

_UNPRINTABLE = re.compile("[\x00-\x1f\ud800-\udfff]")


class InputGuardMiddleware:
    """Refuse unstorable text, out-of-range numbers and broken forms with the error envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _url_problem(scope)
        body = b""
        if problem is None:
            body = await read_body(receive)
            problem = await _body_problem(scope, body)
        if problem is not None:
            status, message, field = problem
            await _refuse(send, status, message, field)
            return
        await self.app(scope, replay(body, receive), send)


Problem = tuple[int, str, str]


def _invalid(field: str, reason: str) -> Problem:
    # The name is echoed: cut it, and make it printable JSON whatever the client sent.
    field = _UNPRINTABLE.sub("\ufffd", field[:_MAX_FIELD_NAME])
    return 422, f"Invalid request: {field} {reason}", field


def _url_problem(scope: Scope) -> Problem | None:
    path = scope.get("path", "")
    reason = text_problem(path)
    if reason:
        return _invalid("path", reason)
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        reason = text_problem(name) or text_problem(value)
        if reason:
            return _invalid(f"query.{name}", reason)
    return None


async def _body_problem(scope: Scope, body: bytes) -> Problem | None:
    if not body:
        return None
    content_type = _content_type(scope)
    if content_type == "application/json" or content_type.endswith("+json"):
        return _json_problem(body)
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _form_problem(scope, body)
    return None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return str(value.decode("latin-1").split(";", 1)[0].strip().lower())
    return ""


def _json_problem(body: bytes) -> Problem | None:
    if _SUSPECT_JSON.search(body) is None:
        return None
    try:
        parsed = json.loads(body)  # the parser FastAPI uses: same acceptance, same values
    except json.JSONDecodeError:
        return None  # malformed JSON: the application's own 422 says where
    except ValueError:  # an integer past Python's digit limit
        return _invalid("body", "holds a number that is out of range")
    found = value_problem(parsed, "")
    return _invalid(*found) if found else None


async def _form_problem(scope: Scope, body: bytes) -> Problem | None:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, receive).form(
            max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS
        )
    except Exception:  # any parser failure on untrusted bytes is the client's fault
        return 400, "Invalid form data: the body could not be parsed", "body"
    try:
        return _fields_problem(form)
    finally:
        await form.close()


def _fields_problem(form: FormData) -> Problem | None:
    for name, value in form.multi_items():
        reason = text_problem(name)
        if reason is None and isinstance(value, str):
            reason = text_problem(value)
        if reason is None and isinstance(value, UploadFile):
            reason = text_problem(value.filename or "")
        if reason:
            return _invalid(f"form.{name}", reason)
    return None


async def _refuse(send: Send, status: int, message: str, field: str) -> None:
    code = "INVALID_INPUT" if status == 422 else "BAD_REQUEST"
    payload: dict[str, Any] = {"error": message, "code": code, "details": {"field": field}}
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": orjson.dumps(payload)})
