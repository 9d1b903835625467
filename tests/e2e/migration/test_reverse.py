"""Reverse export: dump → migrate → export gives the source back, byte for byte."""

from __future__ import annotations

from pathlib import Path

import bson
import pytest
from bson import json_util
from bson.codec_options import CodecOptions
from bson.son import SON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.migration.load.loader import LoadOptions
from pmo_playbook.migration.load.run import migrate
from pmo_playbook.migration.reverse.export import export
from tests.support.bson_gen import bson_documents
from tests.support.cli import run_pmo_in_process as run_pmo
from tests.support.migration import execute, source

LEGACY = ("projects", "human_sops", "agent_sops", "chat_histories", "userfeedback",
          "message_feedback", "change_proposals", "sop_version_history", "users")  # fmt: skip


def test_dump_migrate_export_is_byte_identical(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path, env_for: dict[str, str]
) -> None:
    dump = fixtures_dir / "legacy-mongo" / "dump"
    assert run_pmo("migrate", "run", "--from", str(dump), env=env_for).returncode == 0
    out = tmp_path / "out"
    done = run_pmo("migrate", "export", "--to", str(out), env=env_for)
    assert done.returncode == 0, done.stderr
    for name in LEGACY:
        original = (dump / "pmo_playbook" / f"{name}.bson").read_bytes()
        assert (out / "pmo_playbook" / f"{name}.bson").read_bytes() == original, name
        assert (out / "pmo_playbook" / f"{name}.metadata.json").exists()


def test_mongoexport_export_is_canonical_ejson_identical(
    db_url: DatabaseUrl, fixtures_dir: Path, tmp_path: Path
) -> None:
    dump = fixtures_dir / "legacy-mongo" / "dump"
    src = source(dump)
    migrate(db_url, src)
    src.close()
    export(db_url, tmp_path, fmt="mongoexport")
    options = json_util.CANONICAL_JSON_OPTIONS.with_options(document_class=SON, tz_aware=True)
    for name in LEGACY:
        raw = (dump / "pmo_playbook" / f"{name}.bson").read_bytes()
        lines = (tmp_path / f"{name}.json").read_text().splitlines()
        # canonical EJSON parsed back (order and types kept) must give the source bytes
        assert (
            b"".join(bson.encode(json_util.loads(line, json_options=options)) for line in lines)
            == raw
        ), name


def test_row_created_in_postgres_exports_with_bson_dates(
    db_url: DatabaseUrl, tmp_path: Path
) -> None:
    execute(
        db_url,
        "INSERT INTO projects (project_id, legacy_id, data) VALUES ('PRO-500', %s, %s::jsonb)",
        ("64b000000000000000000001",
         '{"projectId": "PRO-500", "projectName": "New", "sponsor": "S", '
         '"createdAt": "2025-07-18T10:04:47.000Z", "updatedAt": "2025-07-18T10:04:47.000Z"}'),
    )  # fmt: skip
    export(db_url, tmp_path)
    docs = bson.decode_all((tmp_path / "pmo_playbook" / "projects.bson").read_bytes(),
                           CodecOptions(tz_aware=True))  # fmt: skip
    assert len(docs) == 1
    assert type(docs[0]["_id"]).__name__ == "ObjectId"
    assert docs[0]["createdAt"].isoformat() == "2025-07-18T10:04:47+00:00"
    assert docs[0]["projectName"] == "New"


def _loadable(docs: list[bytes]) -> bool:
    """Documents with distinct `_id`s that pymongo's own decoder accepts (the dump reader's check)."""
    seen = set()
    for raw in docs:
        try:
            doc = bson.decode(raw, CodecOptions(document_class=SON))
        except Exception:
            return False
        if "_id" not in doc:
            return False
        key = json_util.dumps(doc["_id"], json_options=json_util.CANONICAL_JSON_OPTIONS)
        if key in seen:
            return False
        seen.add(key)
    return True


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(docs=st.lists(bson_documents(), min_size=1, max_size=5).filter(_loadable))
def test_generated_documents_round_trip_through_load_and_export(
    db_url: DatabaseUrl, tmp_path_factory: pytest.TempPathFactory, docs: list[bytes]
) -> None:  # fmt: skip
    """The codec's generator (every BSON type) through loader and reverse export, unmapped table."""
    for table in ("legacy_documents", "migration_quarantine", "migration_checkpoints",
                  "migration_runs"):  # fmt: skip
        execute(db_url, f"DELETE FROM {table}")
    base = tmp_path_factory.mktemp("gen")
    (base / "dump" / "legacy").mkdir(parents=True)
    (base / "dump" / "legacy" / "misc.bson").write_bytes(b"".join(docs))
    src = source(base / "dump")
    report = migrate(db_url, src, LoadOptions(include_unmapped=True))
    src.close()
    assert report.ok, report.as_json()
    export(db_url, base / "out")
    assert (base / "out" / "pmo_playbook" / "misc.bson").read_bytes() == b"".join(docs)
