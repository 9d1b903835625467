"""JSON responses serialised once, by orjson (no `jsonable_encoder` pass, no response model).

FastAPI turns a returned dict into JSON twice over (`jsonable_encoder`, then `json.dumps`) and,
for a sync endpoint with a response model, validates it in one more thread hop; returning a
`JsonResponse` skips all of that. orjson writes datetimes as ISO-8601 like the stdlib path.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    """`application/json` rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
