"""The sessions/feedback/analytics SQL runs on PostgreSQL 15 too (Debian's binaries)."""

from __future__ import annotations

import psycopg

from pmo_playbook.db import schema
from pmo_playbook.services.analytics import dashboard, sop_rating_stats
from pmo_playbook.services.gap_reports import file_gap_report, list_gap_reports
from pmo_playbook.services.message_ratings import rate_message
from pmo_playbook.services.sessions import get_thread, list_sessions, record_turn
from tests.e2e.sessions.support import ADMIN, ALICE
from tests.support.pg import TestServer


def test_sessions_feedback_and_analytics_sql_on_postgres_15(pg15: TestServer) -> None:
    name = pg15.create_database()
    with psycopg.connect(pg15.url(name).raw, autocommit=True) as conn:
        schema.apply_migrations(conn)
    with psycopg.connect(pg15.url(name).raw) as conn:
        assert conn.info.server_version // 10000 == 15
        turn = record_turn(
            conn,
            ALICE,
            "s-15",
            [
                {"role": "user", "content": "Who approves?"},
                {
                    "role": "assistant",
                    "content": "The sponsor",
                    "selectedSopId": "SOP-002",
                    "confidence": 1.0,
                },
            ],
        )
        assert turn.message_ids == ["msg-0", "msg-1"]
        assert list_sessions(conn, ALICE, 10, None)[0].name == "Who approves?"
        assert get_thread(conn, ADMIN, "s-15", "msg-1").highlighted == 1
        rated = rate_message(
            conn,
            ALICE,
            {
                "messageId": "msg-1",
                "sessionId": "s-15",
                "rating": "helpful",
                "sopUsed": "SOP-002",
                "confidence": 1.0,
            },
        )
        again = rate_message(
            conn,
            ALICE,
            {
                "messageId": "msg-1",
                "sessionId": "s-15",
                "rating": "helpful",
                "sopUsed": "SOP-002",
                "confidence": 1.0,
            },
        )
        assert (rated.created, again.created) == (True, False)
        file_gap_report(
            conn,
            ALICE,
            {
                "sessionId": "s-15",
                "userQuestion": "q",
                "aiResponse": "a",
                "userComment": "c",
                "sopId": "SOP-002",
                "confidence": 0,
            },
        )
        assert list_gap_reports(conn, ADMIN, {}, 10, 0).total == 1
        board = dashboard(conn, ADMIN)
        assert board.sessions.totalMessages == 2 and board.sessions.sopUsageFrequency == {
            "SOP-002": 1
        }
        assert board.ratings.confidenceAccuracy[5].total == 1
        assert sop_rating_stats(conn, ADMIN, "SOP-002").helpfulnessRate == "100.0"
        conn.rollback()
    pg15.drop_database(name)
