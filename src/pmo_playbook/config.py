"""Settings: one object built at the edge (`load_settings()`) and passed down.

Ecosystem names are unprefixed (`DATABASE_URL`, `MONGODB_URI`, `OPENAI_API_KEY`); our own are
prefixed `PMO_`. Every field is documented in `docs/configuration.md` (a test checks that).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Where the embedded PostgreSQL and other local state live when `PMO_DATA_DIR` is unset.

    As root we avoid `/root`: the embedded server runs as an unprivileged system user that must
    be able to traverse every parent folder of its data directory.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/pmo-playbook")
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "pmo-playbook"


class Settings(BaseSettings):
    """All configuration of PMO Playbook, read from the environment and an optional `.env` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- database -------------------------------------------------------------------------
    # PostgreSQL 15+ URL (Neon included). Unset: a local embedded server in PMO_DATA_DIR.
    database_url: SecretStr | None = Field(default=None, validation_alias="DATABASE_URL")
    # Local state: the embedded PostgreSQL cluster, backups, logs.
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias="PMO_DATA_DIR")
    # Connection pool bounds (per process). Unset max: `pmo serve` derives it per worker from
    # PMO_DB_CONNECTION_BUDGET (db/pool_sizing.py); elsewhere 10.
    db_pool_min: int = Field(default=1, ge=0, validation_alias="PMO_DB_POOL_MIN")
    db_pool_max: int | None = Field(default=None, ge=1, validation_alias="PMO_DB_POOL_MAX")
    # Connections all workers of one `pmo serve` may hold together (default: half of the
    # server's max_connections less its reserved slots).
    db_connection_budget: int | None = Field(
        default=None, ge=1, validation_alias="PMO_DB_CONNECTION_BUDGET"
    )
    # Seconds to wait for a TCP connection to the database server.
    db_connect_timeout: float = Field(default=10.0, gt=0, validation_alias="PMO_DB_CONNECT_TIMEOUT")
    # Seconds a request may wait for a free pooled connection before it is answered 503
    # SERVER_BUSY with Retry-After (the bounded queue under overload).
    db_pool_timeout: float = Field(default=10.0, gt=0, validation_alias="PMO_DB_POOL_TIMEOUT")
    # Force transaction-pooler mode (no server-side prepared statements). Auto-detected for
    # Neon `-pooler` hosts and port 6432 (PgBouncer) when unset.
    db_transaction_pooler: bool | None = Field(
        default=None, validation_alias="PMO_DB_TRANSACTION_POOLER"
    )
    # Folder for `pmo backup create` files (default: PMO_DATA_DIR/backups).
    backup_dir: Path | None = Field(default=None, validation_alias="PMO_BACKUP_DIR")

    # --- legacy source ------------------------------------------------------------------------
    # Live legacy MongoDB URI, used by `pmo migrate` when `--from` is not given.
    mongodb_uri: SecretStr | None = Field(default=None, validation_alias="MONGODB_URI")

    # --- cut-over (docs/migration-runbook.md) -----------------------------------------------
    # The seed's per-module toggles, read as the DESIRED owner of each module during a cut-over:
    # true = PostgreSQL, false = MongoDB, unset = no preference. `pmo cutover status` shows
    # where the actual owner differs and `pmo cutover apply` switches/rolls back to match
    # (with the same checks as `switch` / `rollback`). Nothing flips on its own.
    use_postgres_projects: bool | None = Field(
        default=None, validation_alias="USE_POSTGRES_PROJECTS"
    )
    use_postgres_sops: bool | None = Field(default=None, validation_alias="USE_POSTGRES_SOPS")
    use_postgres_chat: bool | None = Field(default=None, validation_alias="USE_POSTGRES_CHAT")
    use_postgres_feedback: bool | None = Field(
        default=None, validation_alias="USE_POSTGRES_FEEDBACK"
    )
    use_postgres_proposals: bool | None = Field(
        default=None, validation_alias="USE_POSTGRES_PROPOSALS"
    )
    use_postgres_users: bool | None = Field(default=None, validation_alias="USE_POSTGRES_USERS")

    # --- web ------------------------------------------------------------------------------
    # Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR
    # networks, e.g. "127.0.0.1,10.0.0.0/8"). Default none: the peer address is the client.
    trusted_proxies: str = Field(default="", validation_alias="PMO_TRUSTED_PROXIES")
    # Address and port `pmo serve` binds to.
    host: str = Field(default="127.0.0.1", validation_alias="PMO_HOST")
    port: int = Field(default=8000, ge=0, le=65535, validation_alias="PMO_PORT")
    # Worker processes of `pmo serve` (default: the machine's cores).
    workers: int | None = Field(default=None, ge=1, le=64, validation_alias="PMO_WORKERS")
    # One uvicorn log line per request (off by default: a reverse proxy usually logs them).
    access_log: bool = Field(default=False, validation_alias="PMO_ACCESS_LOG")
    # Largest accepted request body, in bytes.
    max_body_bytes: int = Field(default=1_000_000, ge=1024, validation_alias="PMO_MAX_BODY_BYTES")
    # Secret used to sign cookies; generated and kept in PMO_DATA_DIR when unset.
    secret_key: SecretStr | None = Field(default=None, validation_alias="PMO_SECRET_KEY")
    # Anonymous visitors may read SOPs and projects and ask the chat.
    public_read: bool = Field(default=True, validation_alias="PMO_PUBLIC_READ")
    # Secure flag of the auth cookies: unset = automatic (set when the request is https, directly
    # or per X-Forwarded-Proto); true/false forces it.
    session_cookie_secure: bool | None = Field(
        default=None, validation_alias="PMO_SESSION_COOKIE_SECURE"
    )
    # Lifetime of a login session (seconds).
    session_max_age_seconds: int = Field(
        default=43_200, ge=60, validation_alias="PMO_SESSION_MAX_AGE_SECONDS"
    )
    # Failed logins for one account before it is locked for PMO_LOGIN_LOCKOUT_SECONDS.
    login_max_failures: int = Field(default=5, ge=1, validation_alias="PMO_LOGIN_MAX_FAILURES")
    # Failed logins from one client IP (any accounts) before that IP is locked.
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, validation_alias="PMO_LOGIN_MAX_FAILURES_PER_IP"
    )
    # Lockout length, and the window in which failures are counted (seconds).
    login_lockout_seconds: int = Field(
        default=900, ge=1, validation_alias="PMO_LOGIN_LOCKOUT_SECONDS"
    )

    # --- AI -------------------------------------------------------------------------------
    # OpenAI-compatible API key; unset means the offline answerer.
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    # Base URL of the OpenAI-compatible endpoint.
    llm_base_url: str = Field(
        default="https://api.openai.com/v1",
        validation_alias=AliasChoices("PMO_LLM_BASE_URL", "OPENAI_BASE_URL"),
    )
    # Model name sent to the endpoint.
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="PMO_LLM_MODEL")
    # Seconds one LLM HTTP call may take (connect + read).
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, validation_alias="PMO_LLM_TIMEOUT_SECONDS"
    )
    # Extra attempts after a timeout, connection error, 429 or 5xx from the LLM endpoint.
    llm_retries: int = Field(default=1, ge=0, le=5, validation_alias="PMO_LLM_RETRIES")
    # When the LLM fails: "fallback" answers offline (logged), "error" answers 503.
    llm_failure_mode: Literal["fallback", "error"] = Field(
        default="fallback", validation_alias="PMO_LLM_FAILURE_MODE"
    )
    # With a model configured, title a new chat session with the model's 3-5 word summary of
    # its first question (one short call, offline rule on failure); false keeps the offline rule.
    llm_session_titles: bool = Field(default=True, validation_alias="PMO_LLM_SESSION_TITLES")
    # Semantic retrieval with the packaged MiniLM model: "auto" (when installed and the server
    # has pgvector) or "off".
    embeddings: Literal["auto", "off"] = Field(default="auto", validation_alias="PMO_EMBEDDINGS")
    # Longest accepted chat message, in characters.
    chat_max_message_chars: int = Field(
        default=4000, ge=1, le=100_000, validation_alias="PMO_CHAT_MAX_MESSAGE_CHARS"
    )
    # Chat questions allowed per minute, per session and per client (0 disables the limit).
    chat_rate_limit_per_minute: int = Field(
        default=20, ge=0, validation_alias="PMO_CHAT_RATE_LIMIT_PER_MINUTE"
    )

    # --- logging --------------------------------------------------------------------------
    # Python logging level name.
    log_level: str = Field(default="WARNING", validation_alias="PMO_LOG_LEVEL")

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    def desired_owners(self) -> dict[str, str]:
        """Module -> "postgresql" / "mongodb" for every USE_POSTGRES_<MODULE> that is set."""
        wanted = {
            "projects": self.use_postgres_projects, "sops": self.use_postgres_sops,
            "chat": self.use_postgres_chat, "feedback": self.use_postgres_feedback,
            "proposals": self.use_postgres_proposals, "users": self.use_postgres_users,
        }  # fmt: skip
        return {m: ("postgresql" if v else "mongodb") for m, v in wanted.items() if v is not None}

    @property
    def embedded_dir(self) -> Path:
        """The data folder of the embedded PostgreSQL cluster."""
        return self.data_dir / "postgres"

    @property
    def backups_path(self) -> Path:
        """Where backups are written."""
        return self.backup_dir or (self.data_dir / "backups")


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (and `.env`), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
