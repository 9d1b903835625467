"""`pmo migrate verify` per module during a cut-over and what `pmo cutover status` shows of it.

Stand-in: nx-27017 (wire protocol over SQLite, real pymongo driver; see conftest). A MongoDB-
owned module is PostgreSQL compared against MongoDB; a PostgreSQL-owned one is MongoDB compared
against PostgreSQL, through the same codec; a change nobody synced shows up as a difference
naming the document's `_id`."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pymongo

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.repositories.cutover import CutoverRepository
from pmo_playbook.sync.runner import legacy_database, run_sync
from tests.e2e.sync.test_sync_nx import project
from tests.support.cli import run_pmo_in_process as run_pmo


def _pmo(db_url: DatabaseUrl, *args: str) -> Any:
    return run_pmo(*args, env={"DATABASE_URL": db_url.raw})


def test_verify_per_module_against_the_owner_nx(nx: str, db_url: DatabaseUrl) -> None:
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(nx, tz_aware=True)
    coll = client["legacy"]["projects"]
    coll.insert_many([project(n) for n in range(1, 6)])
    run_sync(db_url, legacy_database(nx))  # the cut-over starts: MongoDB owns every module

    clean = _pmo(db_url, "migrate", "verify", "--from", nx)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "projects (owner mongodb; PostgreSQL against MongoDB): clean" in clean.stdout
    assert "users (owner mongodb; PostgreSQL against MongoDB): clean" in clean.stdout

    # A MongoDB write the sync has not applied yet: PostgreSQL differs from its owner.
    changed = coll.find_one({"projectId": "PRO-002"})
    coll.update_one({"_id": changed["_id"]}, {"$set": {"projectName": "Not synced yet"}})
    dirty = _pmo(db_url, "migrate", "verify", "--from", nx, "--module", "projects", "--json")
    assert dirty.returncode == 1
    report = json.loads(dirty.stdout)["modules"][0]
    assert report["module"] == "projects" and report["owner"] == "mongodb"
    assert report["differences"] == 1 and report["first_ids"] == [str(changed["_id"])]
    status = _pmo(db_url, "cutover", "status")
    assert "verify at " in status.stdout
    assert f"1 difference(s) (first: {changed['_id']})" in status.stdout, status.stdout

    run_sync(db_url, legacy_database(nx))
    with psycopg.connect(db_url.raw) as conn:
        CutoverRepository(conn).set_owner("projects", "postgresql")
    # PostgreSQL owns projects now: a document changed (and one added) behind its back in
    # MongoDB are differences of MongoDB against PostgreSQL.
    other = coll.find_one({"projectId": "PRO-004"})
    coll.update_one({"_id": other["_id"]}, {"$set": {"sponsor": "Edited in the legacy app"}})
    stray = project(99)
    coll.insert_one(stray)
    owned = _pmo(db_url, "migrate", "verify", "--from", nx, "--module", "projects")
    assert owned.returncode == 1
    line = next(x for x in owned.stdout.splitlines() if "projects (owner" in x)
    assert "owner postgresql; MongoDB against PostgreSQL): 2 difference(s)" in line, line
    assert str(other["_id"]) in line and str(stray["_id"]) in line
    assert "0 missing in MongoDB, 1 extra in MongoDB, 1 different" in owned.stdout
    status_json = json.loads(_pmo(db_url, "cutover", "status", "--json").stdout)
    states = {m["module"]: m["verify"] for m in status_json["modules"]}
    assert states["projects"].startswith("2 difference(s)")
    assert states["users"] == "clean"  # recorded by the first verify, untouched since


def test_verify_module_option_without_cutover_is_a_one_line_error(db_url: DatabaseUrl) -> None:
    result = _pmo(db_url, "migrate", "verify", "--from", "mongodb://127.0.0.1:1/x",
                  "--module", "nonsense")  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
