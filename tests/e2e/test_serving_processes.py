"""Serving with real `pmo serve` processes: limits shared through PostgreSQL by two servers
(as two workers or replicas would), and X-Forwarded-For believed only from a trusted peer."""

from __future__ import annotations

from pathlib import Path

import httpx

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.auth.helpers import PASSWORD, make_user
from tests.support.serve import pmo_serve


def _login(base: str, email: str, password: str, forwarded: str | None = None) -> int:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    body = {"email": email, "password": password}
    return httpx.post(f"{base}/api/auth/login", json=body, headers=headers, timeout=30).status_code


def test_serving_two_servers_share_lockout_and_chat_rate_limit(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    make_user(db_url, "two@example.com")
    limits = {"PMO_LOGIN_MAX_FAILURES": 3, "PMO_CHAT_RATE_LIMIT_PER_MINUTE": 3}
    with (
        pmo_serve(db_url, tmp_path / "a", **limits) as first,
        pmo_serve(db_url, tmp_path / "b", workers=2, **limits) as second,
    ):
        wrong = "wrong-password"
        failures = [_login(first, "two@example.com", wrong) for _ in range(2)]
        failures.append(_login(second, "two@example.com", wrong))
        locked = _login(first, "two@example.com", PASSWORD)

        def ask(base: str) -> int:
            body = {"message": "How do I write a project charter?"}
            return httpx.post(f"{base}/api/chat", json=body, timeout=60).status_code

        chats = [ask(first), ask(second), ask(first), ask(second)]
    assert failures == [401, 401, 401]
    assert locked == 429  # the right password, but the account is locked on both servers
    assert chats == [200, 200, 200, 429]


def test_serving_forwarded_for_believed_only_from_trusted_proxies(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """Per-address lockout: each failed login claims another client address. From an
    untrusted peer the claim is ignored and the one real address is locked; from a trusted
    proxy each claimed client is counted on its own."""
    make_user(db_url, "spoof@example.com")
    limits = {"PMO_LOGIN_MAX_FAILURES_PER_IP": 3, "PMO_LOGIN_MAX_FAILURES": 100}
    claims = [f"203.0.113.{n}" for n in range(1, 6)]
    with pmo_serve(db_url, tmp_path / "direct", **limits) as direct:
        spoofed = [_login(direct, f"s{n}@example.com", "x" * 12, ip) for n, ip in enumerate(claims)]
    with pmo_serve(db_url, tmp_path / "proxied", PMO_TRUSTED_PROXIES="127.0.0.1", **limits) as via:
        proxied = [_login(via, f"p{n}@example.com", "x" * 12, ip) for n, ip in enumerate(claims)]
        # the lockout of 127.0.0.1 from the first server is shared: a request without a
        # forwarded address is that peer and still locked out
        own_address = _login(via, "p9@example.com", "x" * 12)
    assert spoofed == [401, 401, 401, 429, 429]
    assert proxied == [401] * 5
    assert own_address == 429
