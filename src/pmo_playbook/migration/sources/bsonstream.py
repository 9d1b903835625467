"""Read BSON documents one at a time from a byte stream, as exact bytes, with their offsets.

Used by the mongodump directory and archive readers. A document is read as its int32 length
followed by that many bytes, so memory holds one document at a time whatever the file size.
Each document is validated before it is handed out (see `check_document`), so a corrupt file
fails with one message naming the file and the byte offset instead of loading garbage.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

import bson
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import InvalidBSON

from pmo_playbook.migration.exact_bson.walk import find_array_key_problem
from pmo_playbook.migration.sources.base import SourceError

# MongoDB's internal document limit (16 MiB user documents + 16 KiB of headroom for oplog entries).
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024 + 16 * 1024
MIN_DOCUMENT_BYTES = 5

# Decoding only validates; dates outside Python's range must not fail, strings must be UTF-8.
VALIDATE_OPTIONS: CodecOptions = CodecOptions(  # type: ignore[type-arg]
    tz_aware=True,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
    unicode_decode_error_handler="strict",
)

_INT32 = struct.Struct("<i")


def read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Read `size` bytes from `stream` (fewer only at end of stream), looping over short reads.

    Named for what it returns: the caller compares the length to tell a clean end from a cut.
    """
    chunks: list[bytes] = []
    missing = size
    while missing > 0:
        chunk = stream.read(missing)
        if not chunk:
            break
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def document_length(header: bytes, label: str, offset: int) -> int:
    """The length announced by a document's first four bytes; SourceError when implausible."""
    length = int(_INT32.unpack(header)[0])
    if length < MIN_DOCUMENT_BYTES or length > MAX_DOCUMENT_BYTES:
        raise SourceError(
            f"{label}: invalid document length {length} at offset {offset}"
            f" (a BSON document is {MIN_DOCUMENT_BYTES}..{MAX_DOCUMENT_BYTES} bytes)",
            details={"file": label, "offset": offset},
        )
    return length


def read_document(stream: BinaryIO, label: str, offset: int) -> bytes | None:
    """Read one document's exact bytes at `offset`; None at a clean end of stream."""
    header = read_up_to(stream, 4)
    if not header:
        return None
    if len(header) < 4:
        raise _truncated(label, offset, 4, len(header))
    length = document_length(header, label, offset)
    body = read_up_to(stream, length - 4)
    if len(body) < length - 4:
        raise _truncated(label, offset, length, len(body) + 4)
    return header + body


def iter_documents(
    stream: BinaryIO, label: str, *, skip: int = 0, validate: bool = True
) -> Iterator[tuple[int, bytes]]:
    """Yield `(offset, raw)` for each document in a `.bson` stream, after skipping `skip` ones.

    Skipped documents are only length-checked (a seekable plain file is not even read), so a
    resume does not pay for validation twice.
    """
    offset = 0
    for _ in range(skip):
        header = read_up_to(stream, 4)
        if len(header) < 4:
            if not header:
                return
            raise _truncated(label, offset, 4, len(header))
        length = document_length(header, label, offset)
        if stream.seekable():
            stream.seek(offset + length)
        else:
            body = read_up_to(stream, length - 4)
            if len(body) < length - 4:
                raise _truncated(label, offset, length, len(body) + 4)
        offset += length
    while True:
        raw = read_document(stream, label, offset)
        if raw is None:
            return
        if validate:
            check_document(raw, label, offset)
        yield offset, raw
        offset += len(raw)


def check_document(raw: bytes, label: str, offset: int) -> None:
    """Fail with file + offset unless `raw` is one well-formed BSON document.

    The C decoder checks lengths, type codes, C strings and UTF-8. It ignores array keys, so a
    document whose arrays are not keyed "0", "1", ... would silently change on re-encoding: a
    decode + re-encode comparison catches that cheaply, and only when the bytes differ (legacy
    types such as Symbol or DBPointer re-encode differently) does the exact reader's walk decide.
    """
    try:
        decoded = bson.decode(raw, VALIDATE_OPTIONS)
    except (InvalidBSON, ValueError, OverflowError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"{label}: corrupt document at offset {offset} ({len(raw)} bytes): {exc}",
            details={"file": label, "offset": offset},
        ) from None
    try:
        same = bson.encode(decoded, codec_options=VALIDATE_OPTIONS) == raw
    except Exception:
        same = False
    if not same:
        problem = find_array_key_problem(raw)
        if problem is not None:
            where, message = problem
            raise SourceError(
                f"{label}: corrupt document at offset {offset}: {message} (byte {offset + where})",
                details={"file": label, "offset": offset + where},
            )


def _truncated(label: str, offset: int, needs: int, left: int) -> SourceError:
    """The one message for a document cut short by the end of the file."""
    return SourceError(
        f"{label}: truncated document at offset {offset} (needs {needs} bytes, {left} left)",
        details={"file": label, "offset": offset},
    )
