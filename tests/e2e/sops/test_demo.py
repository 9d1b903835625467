"""`pmo demo --no-serve`: schema + the packaged sample legacy database, idempotent; then the
migrated data works through the application (PRO-040-style continuation, SOP edits)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pmo_playbook.db.url import DatabaseUrl
from tests.e2e.sops.conftest import ActingClient, assert_envelope
from tests.support.app import app_client
from tests.support.cli import run_pmo_in_process as run_pmo


def test_demo_migrates_sample_and_second_run_reuses_it(
    empty_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_db_url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}
    first = run_pmo("demo", "--no-serve", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Sample data migrated" in first.stdout + first.stderr
    second = run_pmo("demo", "--no-serve", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Sample data already loaded" in second.stdout + second.stderr
    with psycopg.connect(empty_db_url.raw) as conn:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in (
                "human_sops",
                "agent_sops",
                "projects",
                "chat_histories",
                "change_proposals",
            )
        }
    assert counts == {
        "human_sops": 5,
        "agent_sops": 5,
        "projects": 3,
        "chat_histories": 3,
        "change_proposals": 1,
    }
    with app_client(empty_db_url, tmp_path) as client:
        api = ActingClient(client)
        files = api.get("/api/files-db").json()["files"]
        assert files[0] == "SOP-001 - Pre-Initiation Phase" and len(files) == 5
        project = api.get("/api/projects/PRO-001").json()["project"]
        assert project["projectName"] == "Digital Transformation Initiative"
        assert project["_id"] == "6883bd335bc1e518f69f31b2"  # the legacy _id is kept
        new = api.post(
            "/api/projects",
            json={
                "projectName": "N",
                "sponsor": "S",
                "businessCaseSummary": "B",
                "resourceRequirements": "R",
            },
        )
        assert new.json()["project"]["projectId"] == "PRO-004"  # continues after migrated rows
        agent = api.get("/api/content-db", params={"sopId": "SOP-004", "type": "agent"}).json()
        assert len(agent["content"]["sections"]["rolesResponsibilities"]) == 4
        human = api.get("/api/content-db", params={"sopId": "SOP-001"}).json()
        edited = api.put(
            "/api/content-db",
            json={
                "sopId": "SOP-001",
                "type": "human",
                "markdownContent": human["content"] + "\n- More",
            },
        )
        assert edited.json()["sop"]["version"] == 2
        proposals = api.get("/api/proposals").json()["proposals"]
        assert proposals[0]["humanSopId"]["title"] == "Pre-Initiation Phase"
        assert_envelope(api.get("/api/projects/PRO-999"), 404)

    # Used the app, then ran the demo again: what was changed in the app is kept.
    third = run_pmo("demo", "--no-serve", env=env)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "Sample data already loaded" in third.stdout + third.stderr
    with app_client(empty_db_url, tmp_path) as client:
        api = ActingClient(client)
        assert api.get("/api/projects/PRO-004").json()["project"]["projectName"] == "N"
        human = api.get("/api/content-db", params={"sopId": "SOP-001"}).json()
        assert human["content"].endswith("\n- More")


def test_demo_does_not_load_the_sample_into_a_database_in_use(
    empty_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    """DATABASE_URL pointing at a database that already holds application rows: no sample."""
    env = {"DATABASE_URL": empty_db_url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}
    created = run_pmo("db", "create-schema", env=env)
    assert created.returncode == 0, created.stdout + created.stderr
    with app_client(empty_db_url, tmp_path) as client:
        new = ActingClient(client).post(
            "/api/projects",
            json={
                "projectName": "Real work",
                "sponsor": "S",
                "businessCaseSummary": "B",
                "resourceRequirements": "R",
            },
        )
        assert new.status_code in (200, 201), new.text
    result = run_pmo("demo", "--no-serve", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already holds data (projects" in result.stdout + result.stderr
    with psycopg.connect(empty_db_url.raw) as conn:
        projects = conn.execute("SELECT data->>'projectName' FROM projects").fetchall()
        sops = conn.execute("SELECT count(*) FROM human_sops").fetchone()
    assert projects == [("Real work",)]
    assert sops == (0,)


def test_demo_serves_after_loading_the_sample(empty_db_url: DatabaseUrl, tmp_path: Path) -> None:
    """The README's first command ends in `pmo demo` serving: it must reach a healthy server
    (calling the serve command from the demo once passed Typer's option objects as values)."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from pmo_playbook.db.cluster import free_port
    from tests.support.serve import stop

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_")}
    env.update({"DATABASE_URL": empty_db_url.raw, "PMO_DATA_DIR": str(tmp_path / "data")})
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pmo_playbook", "demo", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        status = None
        while status != 200:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/projects", timeout=2).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert "PMO Playbook at http://" in log.read_text()
    finally:
        stop(proc)
