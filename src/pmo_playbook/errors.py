"""The project's exceptions. Each carries a stable `code`, an HTTP status and details.

Services raise these (never framework exceptions); the web edge renders them as the error
envelope `{"error", "code", "details"}` and the CLI as one line with exit code 2.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PmoError(Exception):
    """Base error: a human message, a stable code, an HTTP status and JSON-able details."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class InvalidInput(PmoError):
    """The caller sent something we cannot accept."""

    code = "INVALID_INPUT"
    status = 422


class BadRequest(InvalidInput):
    """Invalid input where a legacy client depends on status 400."""

    code = "BAD_REQUEST"
    status = 400


class Unauthorized(PmoError):
    """No valid credentials."""

    code = "UNAUTHORIZED"
    status = 401


class Forbidden(PmoError):
    """Authenticated but not allowed."""

    code = "FORBIDDEN"
    status = 403


class NotFound(PmoError):
    """The named thing does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"
    status = 404


class Conflict(PmoError):
    """The write conflicts with existing state (duplicate key, illegal state transition)."""

    code = "CONFLICT"
    status = 409


class ModuleNotOwned(Conflict):
    """A write to a module the legacy application owns during a cut-over (nothing written)."""

    code = "MODULE_NOT_OWNED"


class RateLimited(PmoError):
    """Too many requests."""

    code = "RATE_LIMITED"
    status = 429


class StorageError(PmoError):
    """The database failed in a way the caller cannot fix."""

    code = "STORAGE_ERROR"
    status = 500


class ServiceUnavailable(PmoError):
    """A dependency (database, LLM) is unavailable."""

    code = "SERVICE_UNAVAILABLE"
    status = 503


class DatabaseConfigError(PmoError):
    """The database URL or server is unusable: malformed, unreachable, wrong password, too old."""

    code = "DATABASE_CONFIG"
    status = 503


class MigrationInProgress(Conflict):
    """Another session holds the database's migration writer lock (one writer at a time)."""

    code = "MIGRATION_IN_PROGRESS"
