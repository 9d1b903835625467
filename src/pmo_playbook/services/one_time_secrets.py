"""A secret (generated password, new API token) shown exactly once across a redirect.

The POST that made the secret seals it: the database keeps the secret XOR-ed with a random pad
of the same length, and the caller hands the returned ticket (row id + pad) to the browser in a
short-lived HttpOnly cookie. The next GET by the same user opens the ticket, which deletes the
row: a reload, another user or a stolen ticket after the showing finds nothing. Neither the row
nor the ticket alone reveals the secret (a one-time pad).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from pmo_playbook.repositories.one_time_secrets import OneTimeSecretsRepository
from pmo_playbook.services.actor import Actor

TICKET_TTL_SECONDS = 120
_MAX_SECRET_BYTES = 512


@dataclass(frozen=True)
class ShownSecret:
    """What the page shows once: a label, the secret and a sentence about it."""

    label: str
    value: str
    notice: str


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def seal_secret(
    conn: psycopg.Connection[Any], actor: Actor, label: str, value: str, notice: str
) -> str:
    """Store `value` sealed for `actor`; the ticket to open it once (goes into a cookie)."""
    if actor.user_id is None:
        raise ValueError("a one-time secret needs a signed-in user")
    data = value.encode("utf-8")
    if len(data) > _MAX_SECRET_BYTES:
        raise ValueError("a one-time secret is a password or a token, not a document")
    pad = secrets.token_bytes(len(data))
    key = secrets.token_urlsafe(18)
    repo = OneTimeSecretsRepository(conn)
    repo.put(key, actor.user_id, label, notice, _xor(data, pad), TICKET_TTL_SECONDS)
    return f"{key}.{pad.hex()}"


def open_secret(conn: psycopg.Connection[Any], actor: Actor, ticket: str) -> ShownSecret | None:
    """The secret behind `ticket` for `actor`, once; None when absent, used, expired, another
    user's or malformed."""
    if actor.user_id is None or not ticket or len(ticket) > 2 * _MAX_SECRET_BYTES + 64:
        return None
    key, _, pad_hex = ticket.partition(".")
    try:
        pad = bytes.fromhex(pad_hex)
    except ValueError:
        return None
    row = OneTimeSecretsRepository(conn).take(key, actor.user_id)
    if row is None or len(row["sealed"]) != len(pad):
        return None
    try:
        value = _xor(bytes(row["sealed"]), pad).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return ShownSecret(label=row["label"], value=value, notice=row["notice"])
