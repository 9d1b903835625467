"""URL validation, redaction and pooler detection (no I/O)."""

from __future__ import annotations

import logging

import pytest

from pmo_playbook.db.connect import connection_kwargs
from pmo_playbook.db.url import DatabaseUrl, redact
from pmo_playbook.errors import DatabaseConfigError
from pmo_playbook.logs import RedactingFilter


def test_redact_hides_url_and_keyword_passwords() -> None:
    text = "postgresql://neondb_owner:npg_abc123@ep-x-pooler.eu.aws.neon.tech/neondb?sslmode=require and password=hunter2 and mongodb+srv://u:p4ss@c.x.net/db"
    out = redact(text)
    for secret in ("npg_abc123", "hunter2", "p4ss"):
        assert secret not in out
    assert "neondb_owner" in out
    assert "ep-x-pooler.eu.aws.neon.tech" in out


def test_neon_url_with_sslmode_parses_and_is_a_pooler() -> None:
    url = DatabaseUrl.parse(
        "postgresql://u:pw@ep-cool-1-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require"
    )
    assert url.is_transaction_pooler()
    assert url.params["sslmode"] == "require"
    assert connection_kwargs(url)["prepare_threshold"] is None


def test_direct_neon_url_keeps_prepared_statements() -> None:
    url = DatabaseUrl.parse(
        "postgresql://u:pw@ep-cool-1.eu-central-1.aws.neon.tech/neondb?sslmode=require"
    )
    assert not url.is_transaction_pooler()
    assert "prepare_threshold" not in connection_kwargs(url)


def test_pgbouncer_port_is_a_pooler() -> None:
    assert DatabaseUrl.parse("postgresql://u@h:6432/db").is_transaction_pooler()


@pytest.mark.parametrize(
    "bad", ["", "mysql://h/db", "postgresql://h:port/db", "host='h", "nonsense"]
)
def test_malformed_urls_rejected(bad: str) -> None:
    with pytest.raises(DatabaseConfigError):
        DatabaseUrl.parse(bad)


def test_without_password_and_with_database() -> None:
    url = DatabaseUrl.parse("postgresql://u:pw@h:5433/db")
    conninfo, password = url.without_password()
    assert password == "pw"
    assert "pw" not in conninfo.replace("port", "")
    assert url.with_database("other").dbname == "other"


def test_log_filter_redacts_records() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "connecting to %s", ("postgresql://a:topsecret@h/db",), None
    )
    RedactingFilter().filter(record)
    assert "topsecret" not in record.getMessage()
