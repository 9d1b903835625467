"""The business ids the application hands out and accepts on create: `PRO-NNN` and `SOP-NNN`.

Legacy ids are three digits (`^PRO-\\d{3}$`, `^SOP-\\d{3}$`: every project and SOP in the legacy
data); the application writes at least three and at most nine ASCII digits, so a number always
fits the bigint counter (`repositories/ids.py`) and a client cannot store an id that poisons
allocation. Stored ids are only ever matched against these patterns, never converted, so a
migrated document keeps whatever id it came with (the schema's CHECK allows any length).
"""

from __future__ import annotations

import re
from typing import Any

from pmo_playbook.errors import InvalidInput

PROJECT_ID_PATTERN = r"^PRO-[0-9]{3,9}$"
SOP_ID_PATTERN = r"^SOP-[0-9]{3,9}$"
MAX_ID_NUMBER = 999_999_999  # nine digits: the largest number an allocated id may carry

_PATTERNS = {"PRO": re.compile(PROJECT_ID_PATTERN), "SOP": re.compile(SOP_ID_PATTERN)}


def format_number(prefix: str, number: int) -> str:
    """`PRO-007`, `PRO-1000`: at least three digits, never truncated."""
    return f"{prefix}-{number:03d}"


def check_new_id(prefix: str, value: Any, field: str) -> str:
    """`value` if it is a well-formed `PREFIX-NNN` id for a new document, else a 422 naming
    `field` (the offending value is not echoed: it may be megabytes long)."""
    if isinstance(value, str) and _PATTERNS[prefix].fullmatch(value):
        return value
    raise InvalidInput(
        f"{field} must look like {prefix}-NNN (3 to 9 digits)",
        details={"field": field, "pattern": _PATTERNS[prefix].pattern},
    )
