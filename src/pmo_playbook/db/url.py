"""PostgreSQL connection URLs: validation, redaction, and transaction-pooler detection.

Passwords never leave this module in clear text unless a caller asks for `reveal=True`
(`pmo db url --show-password`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg.conninfo

from pmo_playbook.errors import DatabaseConfigError

_SCHEMES = ("postgres", "postgresql")
_URL_PASSWORD = re.compile(
    r"(?P<prefix>\b(?:postgres(?:ql)?|mongodb(?:\+srv)?)://[^:/@\s]*:)[^@\s]*@"
)
_KV_PASSWORD = re.compile(r"(?P<prefix>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
REDACTED = "****"


def redact(text: str) -> str:
    """Hide every password in `text`: URL userinfo and `password=` key/value pairs."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('prefix')}{REDACTED}@", text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group('prefix')}{REDACTED}", text)


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def scrub(message: str, url: str) -> str:
    """A driver's message about `url` that can be shown: quoted fragments of the URL (libpq
    quotes the token it could not parse, e.g. a password with a broken percent-escape) and
    every piece of its userinfo are cut out, then the usual redaction applies. The URL may be
    unparseable, so nothing here relies on parsing it."""
    text = _QUOTED.sub('"…"', message.splitlines()[0] if message else "")
    userinfo = url.split("://", 1)[1].rsplit("@", 1)[0] if "://" in url and "@" in url else ""
    for secret in sorted([*re.split(r"[:@]", userinfo), userinfo], key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return redact(text)


@dataclass(frozen=True)
class DatabaseUrl:
    """A validated PostgreSQL URL (or libpq key/value string)."""

    raw: str

    @classmethod
    def parse(cls, value: str) -> DatabaseUrl:
        """Validate `value`; raise `DatabaseConfigError` with a one-line reason when malformed."""
        value = value.strip()
        if not value:
            raise DatabaseConfigError("DATABASE_URL is empty")
        if "://" in value:
            scheme = value.split("://", 1)[0].lower()
            if scheme not in _SCHEMES:
                raise DatabaseConfigError(
                    f"DATABASE_URL must start with postgresql:// (got {scheme}://)"
                )
            try:
                parts = urlsplit(value)
                _ = parts.port  # raises ValueError on a non-numeric port
            except ValueError as exc:
                reason = scrub(str(exc), value)
                raise DatabaseConfigError(f"malformed DATABASE_URL: {reason}") from None
        try:
            psycopg.conninfo.conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            reason = scrub(str(exc), value)
            raise DatabaseConfigError(f"malformed DATABASE_URL: {reason}") from None
        return cls(value)

    @property
    def params(self) -> dict[str, str]:
        """The libpq parameters of this URL."""
        return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(self.raw).items()}

    @property
    def host(self) -> str:
        """Host name or socket folder ('' when libpq's default applies)."""
        return self.params.get("host", "")

    @property
    def dbname(self) -> str:
        """Database name (libpq default: the user name)."""
        p = self.params
        return p.get("dbname") or p.get("user") or ""

    @property
    def password(self) -> str | None:
        """The password in the URL, if any (handle with care)."""
        return self.params.get("password")

    def is_transaction_pooler(self) -> bool:
        """Neon's pooled endpoints (`-pooler` hosts) and PgBouncer's usual port 6432."""
        p = self.params
        return "-pooler" in p.get("host", "") or p.get("port") == "6432"

    def with_database(self, dbname: str) -> DatabaseUrl:
        """The same server and credentials, another database."""
        if "://" in self.raw:
            parts = urlsplit(self.raw)
            return DatabaseUrl(urlunsplit(parts._replace(path="/" + dbname)))
        params = self.params
        params["dbname"] = dbname
        return DatabaseUrl(psycopg.conninfo.make_conninfo(**params))

    def without_password(self) -> tuple[str, str | None]:
        """The URL with its password removed, and the password (for PGPASSWORD)."""
        params = self.params
        password = params.pop("password", None)
        return psycopg.conninfo.make_conninfo(**params), password

    def display(self, *, reveal: bool = False) -> str:
        """The URL for humans: password hidden unless `reveal`."""
        return self.raw if reveal else redact(self.raw)

    def query_params(self) -> dict[str, list[str]]:
        """Query-string parameters of a URL form (empty for key/value strings)."""
        return parse_qs(urlsplit(self.raw).query) if "://" in self.raw else {}
