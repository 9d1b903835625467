"""Gap 5 (verify checks human_sop_id by join, reports updated_at drift) and gap 4 (quarantine
retry rebuilds the exact document through the codec path).

Sources: the shared legacy dump (mongodump folder) and dumps written with the official `bson`
codec; PostgreSQL is the suite's real server.
"""

from __future__ import annotations

from pathlib import Path

import bson
import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.codec import document as codec
from pmo_playbook.migration.load import quarantine
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.retry import retry
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.sources import open_source
from pmo_playbook.migration.verify.compare import verify
from tests.support import samples
from tests.support.migration import execute, rows, write_dump


@pytest.fixture
def legacy_dump(fixtures_dir: Path) -> Path:
    return fixtures_dir / "legacy-mongo" / "dump"


def test_verify_compares_human_sop_id_by_join(legacy_dump: Path, db_url: DatabaseUrl) -> None:
    assert migrate(db_url, open_source(str(legacy_dump))).ok
    assert verify(db_url, open_source(str(legacy_dump))).ok
    linked = rows(db_url, "SELECT a.legacy_id, a.human_sop_id FROM agent_sops a "
                          "WHERE a.human_sop_id IS NOT NULL ORDER BY a.id")  # fmt: skip
    assert len(linked) >= 2
    (moved, _), (cleared, _) = linked[0], linked[1]
    execute(db_url, "UPDATE agent_sops SET human_sop_id = (SELECT max(id) FROM human_sops "
                    "WHERE id <> agent_sops.human_sop_id) WHERE legacy_id = %s", (moved,))  # fmt: skip
    execute(db_url, "UPDATE agent_sops SET human_sop_id = NULL WHERE legacy_id = %s", (cleared,))
    result = verify(db_url, open_source(str(legacy_dump)))
    agents = next(c for c in result.collections if c.collection == "agent_sops")
    assert not result.ok and agents.different_count == 2
    paths = {d["_id"]: d["paths"] for d in agents.different}
    assert any("column human_sop_id" in p and "another row" in p for p in paths[moved])
    assert any("column human_sop_id" in p for p in paths[cleared])


def test_verify_reports_updated_at_drift_without_failing(
    legacy_dump: Path, db_url: DatabaseUrl
) -> None:
    assert migrate(db_url, open_source(str(legacy_dump))).ok
    execute(db_url, "UPDATE projects SET updated_at = '2030-01-01T00:00:00Z' WHERE id IN "
                    "(SELECT id FROM projects ORDER BY id LIMIT 3)")  # fmt: skip
    result = verify(db_url, open_source(str(legacy_dump)))
    projects = next(c for c in result.collections if c.collection == "projects")
    assert result.ok
    assert projects.updated_at_drift_count == 3
    assert projects.updated_at_drift[0]["row"].startswith("2030-01-01")


def test_original_bytes_is_the_exact_inverse_of_canonical_ejson() -> None:
    for doc in samples.rich():
        raw = bson.encode(doc)
        entry = quarantine.QuarantinedDocument(1, None, "c", None, "x", None,
                                               codec.canonical_ejson(raw), "r", None,
                                               None, None)  # type: ignore[arg-type]  # fmt: skip
        assert quarantine.original_bytes(entry) == raw


def test_retry_stores_the_exact_document_after_the_cause_is_fixed(
    tmp_path: Path, db_url: DatabaseUrl
) -> None:
    keep, clash = (dict(d) for d in samples.rich()[:2])
    keep.update(projectId="PRO-001")
    clash.update(projectId="PRO-001")
    dump = write_dump(tmp_path / "dump", {"projects": [keep, clash]})
    report = migrate(db_url, open_source(str(dump)), LoadOptions())
    assert report.collections[0].quarantined_ids == [codec.legacy_id_for(clash["_id"])]
    execute(db_url, "UPDATE projects SET project_id = 'PRO-002', "
                    "data = jsonb_set(data, '{projectId}', '\"PRO-002\"')")  # fmt: skip
    keep["projectId"] = "PRO-002"
    (result,) = retry(db_url, None)
    assert result.stored, result.reason
    fixed = write_dump(tmp_path / "fixed", {"projects": [keep, clash]})
    checked = verify(db_url, open_source(str(fixed)))
    assert checked.ok, checked.as_json()  # the retried row decodes to the identical BSON
