"""The one rule for input PostgreSQL cannot store: where in a request value it breaks.

PostgreSQL text and jsonb refuse NUL (U+0000) and cannot hold a lone UTF-16 surrogate
(U+D800..U+DFFF: not encodable as UTF-8); jsonb also has no NaN or Infinity (Python's JSON
parser accepts those literals). Such a value used to reach the driver and come back as a 500.
The API edge (`input_guard.py`) refuses it with a 422 naming the field instead. Large integers
are left to the fields that hold them (their bounds are in the request models): jsonb stores
any integer, and a legacy client's unknown keys are ignored whatever they hold. The migration
toolkit is not affected: it encodes NUL and friends losslessly before they reach PostgreSQL.
"""

from __future__ import annotations

import math
import re
from typing import Any

_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None."""
    match = _UNSTORABLE_TEXT.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain unpaired surrogate characters"


def value_problem(value: Any, where: str) -> tuple[str, str] | None:
    """The first `(field path, reason)` in a parsed JSON value that cannot be stored, or None.

    Paths read like `keyDatesMilestones[0].description`; `where` is the path of `value`."""
    if isinstance(value, str):
        reason = text_problem(value)
        return (where, reason) if reason else None
    if isinstance(value, float):
        return None if math.isfinite(value) else (where, "must be a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            key_reason = text_problem(str(key))
            if key_reason:
                return (where or "body", f"has a key that {key_reason}")
            found = value_problem(item, path)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = value_problem(item, f"{where}[{index}]")
            if found:
                return found
    return None
