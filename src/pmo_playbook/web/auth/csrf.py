"""CSRF tokens: an HMAC of the credential the browser presents (stateless synchronizer token).

The token is HMAC-SHA256(secret, kind + credential), where the credential is the raw login
session id or the anonymous visitor id. The server recomputes it, so nothing is stored and an
attacker who cannot read the victim's cookies cannot produce it. It changes when the credential
changes (login, logout). Pages put it in forms (`csrf_token` field) and htmx/fetch send it as
`X-CSRF-Token`; the `pmo_csrf` cookie carries the same value for scripts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def csrf_token_for(secret: bytes, kind: str, credential: str) -> str:
    """The CSRF token bound to one credential."""
    mac = hmac.new(secret, f"csrf|{kind}|{credential}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def tokens_match(expected: str, provided: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not provided or len(provided) > 200:
        return False
    return hmac.compare_digest(expected.encode("ascii"), provided.encode("utf-8", "replace"))
