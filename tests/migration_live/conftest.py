"""Fixtures for the live-pipeline tests: nx-27017 (shared with the sources tests) and helpers."""

from __future__ import annotations

from tests.migration.conftest import env_for
from tests.migration_sources.conftest import nx_uri

__all__ = ["env_for", "nx_uri"]
