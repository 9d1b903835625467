"""The seed guide's Phase 5.3 full-system test and Phase 4 `curl` flow, over a RUNNING server.

`pmo demo --no-serve` prepares a fresh database (schema, packaged sample data, demo admin),
then `pmo serve` runs as a real subprocess on a free port and is spoken to over HTTP, as the
seed's test-full-system.ts did against its dev server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pmo_playbook.db.cluster import free_port
from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import run_pmo

SEED_PROJECT = {
    "projectName": "Digital Transformation Initiative",
    "sponsor": "Sarah Johnson, CTO",
    "businessCaseSummary": "Modernize legacy systems to improve efficiency and customer experience.",
    "resourceRequirements": "12 FTE, $2.5M budget over 18 months",
    "projectTeam": ["Alex Chen (PM)", "Maria Garcia", "David Kim", "Lisa Wang", "James Brown"],
    "keyStakeholders": ["Sarah Johnson", "IT Operations", "Customer Service"],
    "projectObjectives": ["Migrate core systems to the cloud", "Reduce processing time by 40%"],
    "scopeDeliverables": ["Cloud migration plan", "New CRM", "Training programme"],
    "keyDatesMilestones": [{"date": "2025-03-31T00:00:00.000Z", "description": "Phase 1 complete"}],
    "threats": ["Vendor delays"],
    "opportunities": ["Automation"],
    "keyAssumptions": ["Budget approved"],
    "successCriteria": ["On time", "Within budget"],
}


@pytest.fixture
def running_server(db_url: DatabaseUrl, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {"DATABASE_URL": db_url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}
    prepared = run_pmo("demo", "--no-serve", env=env)
    assert prepared.returncode == 0, prepared.stderr
    made = run_pmo(
        "users",
        "create",
        "ops@example.org",
        "--name",
        "Ops",
        "--role",
        "admin",
        "--password-stdin",
        env=env,
        input_text="a-long-test-password\n",
    )
    assert made.returncode == 0, made.stderr
    token = run_pmo("users", "token", "ops@example.org", "--name", "system-test", env=env)
    assert token.returncode == 0, token.stderr
    bearer = next(w for w in token.stdout.split() if len(w) > 30)
    port = free_port()
    proc_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MONGODB_URI")}
    proc_env.update(env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmo_playbook", "serve", "--port", str(port)],
        env=proc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail(f"server did not start: {proc.communicate()[1][-2000:]}")
        yield base, {"Authorization": f"Bearer {bearer}"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_phase_5_3_full_system_over_running_server(
    running_server: tuple[str, dict[str, str]],
) -> None:
    base, _ = running_server
    checks = {
        "projects": f"{base}/api/projects",
        "content-db human all": f"{base}/api/content-db?all=true&type=human",
        "files-db agent": f"{base}/api/files-db?type=agent",
        "files-db all": f"{base}/api/files-db?type=all",
        "sessions": f"{base}/api/sessions",
    }
    results = {name: httpx.get(url, timeout=10) for name, url in checks.items()}
    failed = {name: r.status_code for name, r in results.items() if r.status_code != 200}
    assert failed == {}
    assert len(results["projects"].json()["projects"]) >= 1
    sops = results["content-db human all"].json()["sops"]
    assert [s["phase"] for s in sops] == sorted(s["phase"] for s in sops)
    assert {s["sopId"] for s in sops} >= {"SOP-001", "SOP-002", "SOP-003", "SOP-004", "SOP-005"}
    assert len(results["files-db agent"].json()["sops"]) == 5
    assert len(results["files-db all"].json()["files"]) == 5
    assert isinstance(results["sessions"].json()["sessions"], list)


def test_phase_4_curl_flow_create_and_read_back(running_server: tuple[str, dict[str, str]]) -> None:
    base, auth = running_server
    created = httpx.post(f"{base}/api/projects", json=SEED_PROJECT, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["message"] == "Project created successfully"
    project_id = body["project"]["projectId"]
    assert project_id.startswith("PRO-")
    read = httpx.get(f"{base}/api/projects/{project_id}", timeout=10)
    assert read.status_code == 200
    project = read.json()["project"]
    for key, value in SEED_PROJECT.items():
        if key != "keyDatesMilestones":
            assert project[key] == value
    assert project["keyDatesMilestones"][0]["description"] == "Phase 1 complete"
    listed = httpx.get(f"{base}/api/projects?active=true", timeout=10).json()["projects"]
    assert project_id in {p["projectId"] for p in listed}
    anonymous = httpx.post(f"{base}/api/projects", json=SEED_PROJECT, timeout=10)
    assert anonymous.status_code == 401
