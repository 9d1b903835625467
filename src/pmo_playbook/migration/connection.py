"""The connection every migration layer opens (load, verify, reverse, quarantine retry).

Below the layers (sources → codec → load → verify → reverse) so that verify and reverse need
not import the loader's run module to connect.
"""

from __future__ import annotations

from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads

from pmo_playbook.db.connect import connect
from pmo_playbook.db.url import DatabaseUrl


def open_connection(url: DatabaseUrl) -> psycopg.Connection[Any]:
    """A connection for migration work: JSONB parsed with orjson."""
    conn = connect(url)
    set_json_loads(orjson.loads, conn)
    return conn
