"""Agent SOP change listeners.

The app factory (`web.app.create_app`) registers the chat's search indexer as
`fn(conn, sop_id)`; the SOP services call `notify_agent_sop_saved` inside the same transaction
right after an agent SOP is created, regenerated or rolled back, so a listener's writes commit
or roll back with the SOP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

AgentSopListener = Callable[[psycopg.Connection[Any], str], None]
_listeners: list[AgentSopListener] = []


def register_agent_sop_listener(fn: AgentSopListener) -> None:
    """Call `fn(conn, sop_id)` after every agent SOP save (registering twice is a no-op)."""
    if fn not in _listeners:
        _listeners.append(fn)


def unregister_agent_sop_listener(fn: AgentSopListener) -> None:
    """Remove a listener (tests)."""
    if fn in _listeners:
        _listeners.remove(fn)


def notify_agent_sop_saved(conn: psycopg.Connection[Any], sop_id: str) -> None:
    """Run every listener in registration order; an exception aborts the caller's transaction."""
    for fn in list(_listeners):
        fn(conn, sop_id)
