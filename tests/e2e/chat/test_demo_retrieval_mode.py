"""`pmo demo` says which retrieval mode the chat will run in."""

from __future__ import annotations

from pathlib import Path

from pmo_playbook.db.url import DatabaseUrl
from tests.support.cli import run_pmo_in_process as run_pmo


def test_demo_reports_hybrid_with_the_installed_model(
    empty_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": empty_db_url.raw, "PMO_DATA_DIR": str(tmp_path / "data")}
    done = run_pmo("demo", "--no-serve", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Chat retrieval: hybrid (all-MiniLM-L6-v2" in done.stdout + done.stderr


def test_demo_reports_full_text_only_when_embeddings_are_off(
    empty_db_url: DatabaseUrl, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": empty_db_url.raw,
        "PMO_DATA_DIR": str(tmp_path / "data"),
        "PMO_EMBEDDINGS": "off",
    }
    done = run_pmo("demo", "--no-serve", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Chat retrieval: full-text (embeddings switched off" in done.stdout + done.stderr
