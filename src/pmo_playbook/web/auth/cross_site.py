"""Login CSRF: a login must come from this site, not from a form on another one.

Before a session exists there is no session CSRF token to check, so a cross-site, cookieless
`POST /login` used to sign the victim's browser into the attacker's account (and let the
attacker read later what the victim asked). Browsers say where a request comes from:
`Sec-Fetch-Site` (every current browser) and `Origin` (sent on every cross-origin POST). A
login is refused when either names another site. Clients that send neither (curl, scripts,
the CLI's HTTP tests) are not browsers and cannot be driven cross-site, so they pass.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from pmo_playbook.errors import Forbidden

# "none": typed in the address bar or a bookmark; "same-origin": this site's own form.
_ALLOWED_FETCH_SITES = {"same-origin", "none"}


def refuse_cross_site(request: HTTPConnection) -> None:
    """Raise Forbidden (403) when the request says it comes from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _ALLOWED_FETCH_SITES:
        raise Forbidden("Cross-site login refused", details={"reason": "sec-fetch-site"})
    origin = request.headers.get("origin")
    if origin is not None and not _same_host(origin, request.headers.get("host", "")):
        raise Forbidden("Cross-site login refused", details={"reason": "origin"})


def _same_host(origin: str, host: str) -> bool:
    """Origin's host[:port] equals the Host header (the scheme is left out: behind a TLS
    proxy the browser says https while the app sees http). `Origin: null` never matches."""
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:
        return False
    return bool(netloc) and netloc.lower() == host.lower()
