"""State shared by the commands of one `pmo` invocation: settings and the database URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
import typer

from pmo_playbook.config import Settings, load_settings
from pmo_playbook.db.connect import connect
from pmo_playbook.db.embedded import resolve_database_url
from pmo_playbook.db.url import DatabaseUrl


@dataclass
class CliContext:
    """Settings of this invocation, and the database URL once resolved."""

    settings: Settings
    debug: bool = False
    _url: DatabaseUrl | None = field(default=None, repr=False)

    def database_url(self) -> DatabaseUrl:
        """DATABASE_URL, or the embedded server's URL (started on first use)."""
        if self._url is None:
            self._url = resolve_database_url(self.settings)
        return self._url

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """One connection for this command's unit of work."""
        return connect(
            self.database_url(),
            autocommit=autocommit,
            connect_timeout=self.settings.db_connect_timeout,
        )

    def check_database(self) -> None:
        """Connect once and disconnect: a bad URL, wrong password or unreachable server ends
        the command here with one line (DatabaseConfigError, exit 2), before anything starts
        (`pmo serve` binds no port and prints no banner)."""
        self.connect().close()


def get_context(ctx: typer.Context) -> CliContext:
    """The CliContext built by the root callback (built on demand for sub-app tests)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext(settings=load_settings())
    return root.obj
