"""chat_histories repository and record_turn against the real PostgreSQL (no mocks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pmo_playbook.db.url import DatabaseUrl
from pmo_playbook.errors import InvalidInput, NotFound
from pmo_playbook.repositories.chat_histories import ChatHistoryRepository, append_turn
from pmo_playbook.services.actor import Actor, Role
from pmo_playbook.services.sessions import recent_context, record_turn

ALICE = Actor(user_id="user-alice", display="alice@example.com", role=Role.USER)
BOB = Actor(user_id="user-bob", display="bob@example.com", role=Role.USER)


def _run_parallel(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_append_turn_creates_session_with_ids_usage_and_owner(
    conn: psycopg.Connection[Any],
) -> None:
    ids = append_turn(
        conn,
        "session-1",
        "user-alice",
        [
            {"role": "user", "content": "How do I start?"},
            {
                "role": "assistant",
                "content": "Use SOP-002",
                "selectedSopId": "SOP-002",
                "confidence": 0.8,
            },
        ],
        "pytest-agent",
    )
    assert ids == ["msg-0", "msg-1"]
    ids2 = append_turn(
        conn,
        "session-1",
        "user-alice",
        [
            {
                "role": "assistant",
                "content": "Again",
                "selectedSopId": "SOP-002",
                "timestamp": "2030-01-01T00:00:00.000Z",
            }
        ],
        None,
    )
    assert ids2 == ["msg-2"]
    session = ChatHistoryRepository(conn).get_session("session-1")
    assert session is not None
    assert session.user_id == "user-alice"
    assert session.data["userId"] == "user-alice"
    assert session.data["metadata"] == {"userAgent": "pytest-agent"}
    assert [m["messageId"] for m in session.messages] == ["msg-0", "msg-1", "msg-2"]
    assert session.data["sopUsage"] == [
        {"sopId": "SOP-002", "usageCount": 2, "lastUsed": "2030-01-01T00:00:00.000Z"}
    ]
    assert session.data["lastActive"].endswith("Z")


def test_append_turn_to_someone_elses_session_is_not_found(conn: psycopg.Connection[Any]) -> None:
    append_turn(conn, "session-a", "user-alice", [{"role": "user", "content": "hi"}], None)
    with pytest.raises(NotFound):
        append_turn(conn, "session-a", "user-bob", [{"role": "user", "content": "mine?"}], None)
    with pytest.raises(NotFound):
        append_turn(conn, "session-a", None, [{"role": "user", "content": "mine?"}], None)
    session = ChatHistoryRepository(conn).get_session("session-a")
    assert session is not None and len(session.messages) == 1


def test_d24_append_updates_last_active(conn: psycopg.Connection[Any]) -> None:
    append_turn(conn, "s-d24", "u", [{"role": "user", "content": "one"}], None)
    conn.execute(
        "UPDATE chat_histories SET last_active = '2020-01-01T00:00:00Z' WHERE session_id = 's-d24'"
    )
    append_turn(conn, "s-d24", "u", [{"role": "user", "content": "two"}], None)
    session = ChatHistoryRepository(conn).get_session("s-d24")
    assert session is not None and session.last_active.year >= 2025
    assert session.data["lastActive"][:4] >= "2025"


def test_record_turn_titles_new_session_and_validates(conn: psycopg.Connection[Any]) -> None:
    turn = record_turn(
        conn,
        ALICE,
        "session-t",
        [
            {"role": "user", "content": "How do I create a really detailed project charter today"},
            {
                "role": "assistant",
                "content": "See SOP-002",
                "selectedSopId": "SOP-002",
                "confidence": 0,
            },
        ],
        user_agent="ua",
    )
    assert turn.created and turn.message_ids == ["msg-0", "msg-1"]
    session = ChatHistoryRepository(conn).get_session("session-t")
    assert session is not None
    # first 5 words = "How do I create a" (16 chars) -> kept as is
    assert session.data["summary"] == "How do I create a"
    assert session.messages[1]["confidence"] == 0
    again = record_turn(conn, ALICE, "session-t", [{"role": "user", "content": "more"}])
    assert not again.created and again.message_ids == ["msg-2"]
    with pytest.raises(InvalidInput):
        record_turn(conn, ALICE, "session-t", [{"role": "robot", "content": "x"}])
    with pytest.raises(InvalidInput):
        record_turn(
            conn,
            ALICE,
            "session-t",
            [{"role": "assistant", "content": "x", "selectedSopId": "nope"}],
        )
    with pytest.raises(InvalidInput):
        record_turn(
            conn, ALICE, "session-t", [{"role": "assistant", "content": "x", "confidence": 1.5}]
        )
    with pytest.raises(InvalidInput):
        record_turn(conn, ALICE, "session-t", [])


def test_d3_recent_context_never_reads_another_users_session(conn: psycopg.Connection[Any]) -> None:
    record_turn(
        conn,
        ALICE,
        "s-ctx",
        [{"role": "system", "content": "sys"}]
        + [{"role": "user", "content": f"q{i}"} for i in range(6)],
    )
    mine = recent_context(conn, ALICE, "s-ctx")
    assert [m["content"] for m in mine] == ["q2", "q3", "q4", "q5"]
    assert [m["messageId"] for m in mine] == ["msg-3", "msg-4", "msg-5", "msg-6"]
    assert recent_context(conn, BOB, "s-ctx") == []


def test_d17_two_concurrent_first_turns_in_new_session_both_persist(db_url: DatabaseUrl) -> None:
    def work(i: int) -> None:
        with psycopg.connect(db_url.raw) as c:
            record_turn(
                c,
                ALICE,
                "session-race",
                [
                    {"role": "user", "content": f"question {i}"},
                    {"role": "assistant", "content": f"answer {i}", "selectedSopId": "SOP-001"},
                ],
            )
            c.commit()

    assert _run_parallel(2, work) == []
    with psycopg.connect(db_url.raw) as c:
        session = ChatHistoryRepository(c).get_session("session-race")
        count = c.execute("SELECT count(*) FROM chat_histories").fetchone()
    assert session is not None and count == (1,)
    contents = sorted(m["content"] for m in session.messages)
    assert contents == ["answer 0", "answer 1", "question 0", "question 1"]
    assert [m["messageId"] for m in session.messages] == ["msg-0", "msg-1", "msg-2", "msg-3"]
    # each turn stays together (one atomic append per turn)
    assert session.messages[0]["content"][-1] == session.messages[1]["content"][-1]
    assert session.data["sopUsage"][0]["usageCount"] == 2


def test_d17_twenty_parallel_appends_to_one_session_lose_nothing(db_url: DatabaseUrl) -> None:
    with psycopg.connect(db_url.raw) as c:
        record_turn(c, ALICE, "session-20", [{"role": "user", "content": "start"}])
        c.commit()

    def work(i: int) -> None:
        with psycopg.connect(db_url.raw) as c:
            record_turn(c, ALICE, "session-20", [{"role": "user", "content": f"m{i}"}])
            c.commit()

    assert _run_parallel(20, work) == []
    with psycopg.connect(db_url.raw) as c:
        session = ChatHistoryRepository(c).get_session("session-20")
    assert session is not None
    assert len(session.messages) == 21
    assert sorted(m["content"] for m in session.messages[1:]) == sorted(f"m{i}" for i in range(20))
    assert [m["messageId"] for m in session.messages] == [f"msg-{i}" for i in range(21)]
