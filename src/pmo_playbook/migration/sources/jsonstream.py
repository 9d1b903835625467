"""Stream JSON documents out of a file without loading it: JSON lines, concatenated, or an array.

`mongoexport` writes one document per line (or `--pretty` documents back to back) or, with
`--jsonArray`, one JSON array; the seed guide's script writes a pretty-printed array. All are
read the same way: a text buffer of bounded size and `JSONDecoder.raw_decode` one value at a
time, keeping the line where each document starts for messages and positions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from pmo_playbook.migration.sources.base import SourceError

CHUNK_CHARS = 1 << 20
# A document's JSON text may not exceed this (16 MiB of BSON can grow ~4x as Extended JSON).
MAX_DOCUMENT_CHARS = 64 << 20
_SPACE = " \t\r\n\ufeff"


class DuplicateKeyError(ValueError):
    """A JSON object repeats a key: a dict would silently keep only the last value."""


def no_duplicates(pairs: list[tuple[str, Any]]) -> None:
    """Raise DuplicateKeyError when an object's keys repeat."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        dup = next(k for k in keys if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise DuplicateKeyError(f"duplicate key {dup!r}")


def first_char(path: Path) -> str:
    """The first non-blank character of a text file ('' when empty)."""
    with path.open("r", encoding="utf-8-sig") as handle:
        while chunk := handle.read(4096):
            stripped = chunk.lstrip(_SPACE)
            if stripped:
                return stripped[0]
    return ""


class _Reader:
    """A sliding text buffer over a file that tracks line numbers."""

    def __init__(self, handle: TextIO, label: str) -> None:
        self.handle = handle
        self.label = label
        self.buf = ""
        self.pos = 0
        self.line = 1  # line number at self.pos
        self.eof = False

    def fill(self) -> bool:
        """Append a chunk (at least as big as what is pending); False at end of file."""
        if self.eof:
            return False
        pending = len(self.buf) - self.pos
        if pending > MAX_DOCUMENT_CHARS:
            return False
        if self.pos > CHUNK_CHARS:
            self.buf, self.pos = self.buf[self.pos :], 0
        chunk = self.handle.read(max(CHUNK_CHARS, pending))
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def advance(self, to: int) -> None:
        """Move to `to`, counting the newlines passed."""
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def skip_space(self) -> str:
        """Skip blanks; return the next character ('' at end of file)."""
        while True:
            end = len(self.buf)
            i = self.pos
            while i < end and self.buf[i] in _SPACE:
                i += 1
            self.advance(i)
            if i < end:
                return self.buf[i]
            if not self.fill():
                return ""

    def decode(self, decoder: json.JSONDecoder) -> Any:
        """Decode the value at the cursor, reading more text while it is incomplete."""
        while True:
            try:
                value, end = decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                line = self.line + self.buf.count("\n", self.pos, exc.pos)
                raise self.error(line, f"invalid JSON: {exc.msg}") from None
            except (ValueError, TypeError, OverflowError) as exc:
                raise self.error(self.line, f"invalid Extended JSON: {exc}") from None
            self.advance(end)
            return value

    def error(self, line: int, reason: str) -> SourceError:
        """One message naming the file and line."""
        return SourceError(
            f"{self.label} line {line}: {reason}", details={"file": self.label, "line": line}
        )


def iter_json_documents(
    path: Path, decoder: json.JSONDecoder
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield `(line, document)` for each document of an array or a sequence of objects."""
    label = str(path)
    with path.open("r", encoding="utf-8-sig") as handle:
        reader = _Reader(handle, label)
        try:
            yield from _documents(reader, decoder)
        except UnicodeDecodeError as exc:
            raise reader.error(reader.line, f"not UTF-8 text ({exc.reason})") from None


def _documents(reader: _Reader, decoder: json.JSONDecoder) -> Iterator[tuple[int, dict[str, Any]]]:
    """The parsing loop behind `iter_json_documents`."""
    first = reader.skip_space()
    in_array = first == "["
    if in_array:
        reader.advance(reader.pos + 1)
    expect_value = True
    while True:
        char = reader.skip_space()
        if not char:
            if in_array:
                raise reader.error(reader.line, "unexpected end of file inside the JSON array")
            return
        if in_array and char == "]":
            reader.advance(reader.pos + 1)
            if reader.skip_space():
                raise reader.error(reader.line, "unexpected text after the JSON array")
            return
        if in_array and not expect_value:
            if char != ",":
                raise reader.error(
                    reader.line, f"expected ',' or ']' in the JSON array, got {char!r}"
                )
            reader.advance(reader.pos + 1)
            expect_value = True
            continue
        line = reader.line
        value = reader.decode(decoder)
        if not isinstance(value, dict):
            raise reader.error(
                line, f"expected a JSON object (a document), got {type(value).__name__}"
            )
        yield line, value
        expect_value = False


def make_decoder(hook: Callable[[list[tuple[str, Any]]], Any]) -> json.JSONDecoder:
    """A strict JSON decoder whose objects go through `hook` (key order kept)."""
    return json.JSONDecoder(object_pairs_hook=hook, strict=False)
