"""Fixtures for the hardening tests (shared with tests/migration)."""

from __future__ import annotations

from tests.migration.conftest import env_for

__all__ = ["env_for"]
