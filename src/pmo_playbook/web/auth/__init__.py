"""Authentication at the web edge: turns each request into the right `Actor`.

`create_app` mounts the login/logout API (`routes`) and pages (`pages`) and the auth middleware
(credential → Actor, PMO_PUBLIC_READ gate, CSRF, cookies); routes read the actor with
`web.deps.CurrentActor`. Templates get the CSRF token with `csrf_token(request)`.
"""

from __future__ import annotations

from pmo_playbook.web.auth.context import csrf_token, resolve_actor

__all__ = ["csrf_token", "resolve_actor"]
