"""The client's address: the peer, or what a trusted reverse proxy says in X-Forwarded-For.

Per-address limits (login lockout, chat rate limit) are only as good as the address. Any
client can send `X-Forwarded-For`, so it is read only when the peer is one of
`PMO_TRUSTED_PROXIES`; then the right-most address that is not itself a trusted proxy is the
client (the left part of the header is whatever the client claimed).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def parse_trusted_proxies(value: str) -> tuple[Network, ...]:
    """Networks from "addr, addr/len, ..." (ValueError naming the bad entry)."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {item!r}") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(conn: HTTPConnection, trusted_proxies: str) -> str:
    """The client address to key per-address limits on ("unknown" without a peer)."""
    peer = conn.client.host if conn.client else "unknown"
    networks = parse_trusted_proxies(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = ",".join(conn.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop[:100]
    return hops[0][:100] if hops else peer
