"""Every constraint of the first migration rejects what it should and accepts what it must."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from psycopg import errors
from psycopg.types.json import Jsonb


def _insert_project(conn: psycopg.Connection[Any], project_id: str, data: Any = None) -> None:
    conn.execute(
        "INSERT INTO projects (project_id, data) VALUES (%s, %s)",
        (project_id, Jsonb({"projectName": "x"}) if data is None else data),
    )


@pytest.mark.parametrize("bad_id", ["PRO-1", "PRO-01", "PRJ-001", "pro-001", "PRO-001a", ""])
def test_projects_reject_bad_project_id(conn: psycopg.Connection[Any], bad_id: str) -> None:
    with pytest.raises(errors.CheckViolation, match="projects_project_id_format"):
        _insert_project(conn, bad_id)


@pytest.mark.parametrize("good_id", ["PRO-001", "PRO-999", "PRO-1000", "PRO-123456"])
def test_projects_accept_legacy_and_long_ids(conn: psycopg.Connection[Any], good_id: str) -> None:
    _insert_project(conn, good_id)
    row = conn.execute("SELECT count(*) FROM projects WHERE project_id = %s", (good_id,)).fetchone()
    assert row == (1,)


def test_projects_reject_duplicate_natural_key(conn: psycopg.Connection[Any]) -> None:
    _insert_project(conn, "PRO-001")
    with pytest.raises(errors.UniqueViolation, match="projects_project_id_key"):
        _insert_project(conn, "PRO-001")


def test_projects_reject_null_data(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(errors.NotNullViolation):
        conn.execute("INSERT INTO projects (project_id, data) VALUES ('PRO-001', NULL)")


@pytest.mark.parametrize("phase", [0, 6, -1])
def test_human_sops_reject_phase_out_of_range(conn: psycopg.Connection[Any], phase: int) -> None:
    with pytest.raises(errors.CheckViolation, match="human_sops_phase_range"):
        conn.execute(
            "INSERT INTO human_sops (sop_id, phase, data) VALUES ('SOP-001', %s, '{}')", (phase,)
        )


@pytest.mark.parametrize("phase", [0, 6])
def test_agent_sops_reject_phase_out_of_range(conn: psycopg.Connection[Any], phase: int) -> None:
    with pytest.raises(errors.CheckViolation, match="agent_sops_phase_range"):
        conn.execute(
            "INSERT INTO agent_sops (sop_id, phase, data) VALUES ('SOP-001', %s, '{}')", (phase,)
        )


def test_human_sops_reject_bad_sop_id(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(errors.CheckViolation, match="human_sops_sop_id_format"):
        conn.execute("INSERT INTO human_sops (sop_id, phase, data) VALUES ('SOP-1', 1, '{}')")


@pytest.mark.parametrize(
    ("table", "column", "value", "constraint"),
    [
        ("chat_histories", "status", "paused", "chat_histories_status_vocabulary"),
        ("user_feedback", "status", "open", "user_feedback_status_vocabulary"),
        ("user_feedback", "priority", "critical", "user_feedback_priority_vocabulary"),
        ("change_proposals", "status", "pending", "change_proposals_status_vocabulary"),
        ("change_proposals", "priority", "urgent", "change_proposals_priority_vocabulary"),
        ("message_feedback", "rating", "5", "message_feedback_rating_vocabulary"),
        ("users", "role", "root", "users_role_vocabulary"),
    ],
)
def test_vocabulary_checks_reject_unknown_values(
    conn: psycopg.Connection[Any], table: str, column: str, value: str, constraint: str
) -> None:
    keys = {
        "chat_histories": ("session_id", "s-1"),
        "user_feedback": ("feedback_id", "f-1"),
        "change_proposals": ("proposal_id", "p-1"),
        "users": ("user_id", "u-1"),
    }
    from psycopg import sql

    if table == "message_feedback":
        stmt = sql.SQL(
            "INSERT INTO message_feedback (message_id, session_id, rating, data) VALUES ('m', 's', %s, '{}')"
        )
    elif table == "users":
        stmt = sql.SQL(
            "INSERT INTO users (user_id, email, role, data) VALUES ('u-1', 'a@b.c', %s, '{}')"
        )
    else:
        key, key_value = keys[table]
        stmt = sql.SQL("INSERT INTO {t} ({k}, {c}, data) VALUES ({v}, %s, '{{}}')").format(
            t=sql.Identifier(table),
            k=sql.Identifier(key),
            c=sql.Identifier(column),
            v=sql.Literal(key_value),
        )
    with pytest.raises(errors.CheckViolation, match=constraint):
        conn.execute(stmt, (value,))


def test_legacy_vocabularies_are_accepted(conn: psycopg.Connection[Any]) -> None:
    for status in ("pending_review", "approved", "rejected", "implemented", "archived"):
        conn.execute(
            "INSERT INTO change_proposals (proposal_id, status, priority, data) VALUES (%s, %s, 'critical', '{}')",
            (f"p-{status}", status),
        )
    for status in ("pending", "ongoing", "completed", "closed"):
        conn.execute(
            "INSERT INTO user_feedback (feedback_id, status, priority, data) VALUES (%s, %s, 'high', '{}')",
            (f"f-{status}", status),
        )
    assert conn.execute("SELECT count(*) FROM change_proposals").fetchone() == (5,)
    assert conn.execute("SELECT count(*) FROM user_feedback").fetchone() == (4,)


def test_message_feedback_one_rating_per_message_and_session(conn: psycopg.Connection[Any]) -> None:
    insert = "INSERT INTO message_feedback (message_id, session_id, rating, data) VALUES (%s, %s, 'helpful', '{}')"
    conn.execute(insert, ("m1", "s1"))
    conn.execute(insert, ("m1", "s2"))  # same message id in another session is fine
    with pytest.raises(errors.UniqueViolation, match="message_feedback_message_session_key"):
        conn.execute(insert, ("m1", "s1"))


def test_version_history_human_and_agent_share_numbers(conn: psycopg.Connection[Any]) -> None:
    insert = "INSERT INTO sop_version_histories (sop_id, sop_type, version, data) VALUES ('SOP-001', %s, 1, '{}')"
    conn.execute(insert, ("human",))
    conn.execute(insert, ("agent",))
    with pytest.raises(errors.UniqueViolation):
        conn.execute(insert, ("agent",))


def test_users_email_unique_case_insensitive(conn: psycopg.Connection[Any]) -> None:
    conn.execute("INSERT INTO users (user_id, email, data) VALUES ('u1', 'Ann@Example.org', '{}')")
    with pytest.raises(errors.UniqueViolation, match="users_email_lower_key"):
        conn.execute(
            "INSERT INTO users (user_id, email, data) VALUES ('u2', 'ann@example.ORG', '{}')"
        )


def test_updated_at_trigger_moves_on_update(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SET LOCAL TIME ZONE 'UTC'")
    _insert_project(conn, "PRO-001")
    conn.commit()
    (before,) = conn.execute("SELECT updated_at FROM projects").fetchone()  # type: ignore[misc]
    time.sleep(0.01)
    conn.execute("UPDATE projects SET is_active = false")
    conn.commit()
    (after,) = conn.execute("SELECT updated_at FROM projects").fetchone()  # type: ignore[misc]
    assert after > before


def test_updated_at_trigger_keeps_explicit_value(conn: psycopg.Connection[Any]) -> None:
    _insert_project(conn, "PRO-001")
    conn.execute("UPDATE projects SET updated_at = '2020-01-02T03:04:05Z', is_active = false")
    (value,) = conn.execute("SELECT updated_at FROM projects").fetchone()  # type: ignore[misc]
    assert value.year == 2020


def test_sop_version_histories_update_works(conn: psycopg.Connection[Any]) -> None:
    """The seed's trigger broke every UPDATE of this table (D42)."""
    conn.execute(
        "INSERT INTO sop_version_histories (sop_id, sop_type, version, data) VALUES ('SOP-001', 'human', 1, '{}')"
    )
    conn.execute("UPDATE sop_version_histories SET change_type = 'update'")
    assert conn.execute("SELECT change_type FROM sop_version_histories").fetchone() == ("update",)


def test_agent_sop_fts_index_is_used(conn: psycopg.Connection[Any]) -> None:
    conn.execute("INSERT INTO human_sops (sop_id, phase, data) VALUES ('SOP-001', 1, '{}')")
    conn.execute(
        "INSERT INTO agent_sops (sop_id, phase, searchable_content, data) VALUES ('SOP-001', 1, 'project charter template', '{}')"
    )
    conn.execute("SET LOCAL enable_seqscan = off")
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "EXPLAIN SELECT sop_id FROM agent_sops WHERE to_tsvector('english', coalesce(searchable_content, '')) @@ plainto_tsquery('english', 'charter')"
        ).fetchall()
    )
    assert "agent_sops_fts_idx" in plan
