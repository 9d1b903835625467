"""Fixtures for the source tests: the shared fixtures folder and a live nx-27017 server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.nx import running_nx


@pytest.fixture(scope="session")
def nx_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running nx-27017: a MongoDB wire-protocol stand-in (SQLite behind it) on a free port.

    No real mongod can be installed here; nx-27017 speaks the protocol the real pymongo driver
    uses, so the live source is exercised end to end (connect, list, batched cursors).
    """
    with running_nx(tmp_path_factory.mktemp("nx")) as uri:
        yield uri
