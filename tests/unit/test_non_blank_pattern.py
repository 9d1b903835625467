"""The schema's "not blank" pattern says exactly what the routes' `str.strip()` test does: a
request the schema calls valid is never refused as blank, and the other way round."""

from __future__ import annotations

import re
import sys

import pytest
from pydantic import BaseModel, Field, ValidationError

from pmo_playbook.web.api.contract import NON_BLANK


def test_pattern_matches_a_character_exactly_when_strip_keeps_it() -> None:
    pattern = re.compile(NON_BLANK)
    disagreements = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (pattern.search(chr(code)) is not None) != bool(chr(code).strip())
    ]
    assert disagreements == []


class _Body(BaseModel):
    text: str = Field(pattern=NON_BLANK)


@pytest.mark.parametrize("blank", ["\x1d", " \t\n", "\x85\u3000", "\u2028"])
def test_pydantic_refuses_what_strip_empties(blank: str) -> None:
    with pytest.raises(ValidationError):
        _Body(text=blank)


@pytest.mark.parametrize("kept", ["\ufeff", "a", " x ", "\u180e"])
def test_pydantic_accepts_what_strip_keeps(kept: str) -> None:
    assert _Body(text=kept).text == kept
