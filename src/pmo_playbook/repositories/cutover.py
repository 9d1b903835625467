"""Cut-over state: module ownership, per-collection sync positions and the outbox.

All SQL of the live sync's bookkeeping. Never commits: the sync commits a batch of applied
changes and its position together; the switch flips ownership in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from pmo_playbook.documents.registry import COLLECTIONS, MODULES
from pmo_playbook.repositories.base import Repository

_OWNERS = (
    "SELECT module, owner, changed_at, verify_state, verified_at FROM cutover_modules "
    "ORDER BY array_position(%s::text[], module)"
)
_RECORD_VERIFY = (
    "UPDATE cutover_modules SET verify_state = %s, verified_at = now() WHERE module = %s"
)
_OWNER_OF = "SELECT owner FROM cutover_modules WHERE module = %s"
_OWNERS_LOCKED = "SELECT module, owner FROM cutover_modules WHERE module = ANY(%s) FOR UPDATE"
_START = (
    "INSERT INTO cutover_modules (module, owner) SELECT m, 'mongodb' FROM unnest(%s::text[]) m "
    "ON CONFLICT (module) DO NOTHING"
)
_SET_OWNER = "UPDATE cutover_modules SET owner = %s, changed_at = now() WHERE module = %s"
_FINISH = "DELETE FROM cutover_modules; DELETE FROM sync_collections; DELETE FROM sync_outbox"
_AS_SYNC_WRITER = "SELECT set_config('pmo.sync_writer', 'on', true)"

_POSITIONS = (
    "SELECT collection, module, mode, resume_token, watermark, loaded, last_event_at, "
    "caught_up_at, events_applied, reconciled_at FROM sync_collections ORDER BY collection"
)
_SAVE_POSITION = """
INSERT INTO sync_collections (collection, module, mode, resume_token, watermark, loaded,
    last_event_at, caught_up_at, events_applied, reconciled_at)
VALUES (%(collection)s, %(module)s, %(mode)s, %(resume_token)s, %(watermark)s, %(loaded)s,
    %(last_event_at)s, %(caught_up_at)s, %(events_applied)s, %(reconciled_at)s)
ON CONFLICT (collection) DO UPDATE SET mode = EXCLUDED.mode,
    resume_token = EXCLUDED.resume_token, watermark = EXCLUDED.watermark,
    loaded = EXCLUDED.loaded, last_event_at = EXCLUDED.last_event_at,
    caught_up_at = EXCLUDED.caught_up_at, events_applied = EXCLUDED.events_applied,
    reconciled_at = EXCLUDED.reconciled_at
"""

_OUTBOX_NEXT = (
    "SELECT id, table_name, legacy_id FROM sync_outbox WHERE module = ANY(%s) ORDER BY id LIMIT %s"
)
_OUTBOX_DONE = "DELETE FROM sync_outbox WHERE id = ANY(%s)"
_OUTBOX_LAG = (
    "SELECT module, count(*), min(created_at) FROM sync_outbox GROUP BY module ORDER BY module"
)
_OUTBOX_PENDING_ROW = "SELECT 1 FROM sync_outbox WHERE table_name = %s AND legacy_id = %s LIMIT 1"

_TRIGGER_NAME = "{}_cutover_capture"


@dataclass(frozen=True)
class ModuleOwner:
    module: str
    owner: str
    changed_at: datetime
    verify_state: str | None = None
    verified_at: datetime | None = None


@dataclass
class SyncPosition:
    """Where the MongoDB -> PostgreSQL sync of one legacy collection stands."""

    collection: str
    module: str
    mode: str | None = None
    resume_token: bytes | None = None
    watermark: datetime | None = None
    loaded: bool = False
    last_event_at: datetime | None = None
    caught_up_at: datetime | None = None
    events_applied: int = 0
    reconciled_at: datetime | None = None


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    table: str
    legacy_id: str


class CutoverRepository(Repository):
    """Ownership, sync positions and the outbox over one connection."""

    # --- ownership ------------------------------------------------------------------------
    def owners(self) -> list[ModuleOwner]:
        """Every module's owner (empty: no cut-over in progress)."""
        rows = self.conn.execute(_OWNERS, (list(MODULES),)).fetchall()
        return [ModuleOwner(*row) for row in rows]

    def owner_of(self, module: str) -> str | None:
        """The owner of one module (None: no cut-over in progress)."""
        row = self.conn.execute(_OWNER_OF, (module,)).fetchone()
        return None if row is None else str(row[0])

    def lock_owners(self, modules: list[str]) -> dict[str, str]:
        """The owners of `modules`, their rows locked until the transaction ends."""
        rows = self.conn.execute(_OWNERS_LOCKED, (modules,)).fetchall()
        return {module: owner for module, owner in rows}

    def start(self) -> None:
        """Begin a cut-over (every module owned by MongoDB); a no-op when one is in progress."""
        if not self.owners():
            self.conn.execute(_START, (list(MODULES),))
            self._install_triggers()

    def set_owner(self, module: str, owner: str) -> None:
        self.conn.execute(_SET_OWNER, (owner, module))

    def record_verify(self, module: str, state: str) -> None:
        """Keep the outcome of the module's last verify ('clean' or what differed)."""
        self.conn.execute(_RECORD_VERIFY, (state, module))

    def finish(self) -> None:
        """End the cut-over: ownership, positions, outbox and the capture triggers go."""
        self.conn.execute(_FINISH)
        for table in (c.table for c in COLLECTIONS):
            self.conn.execute(
                sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                    sql.Identifier(_TRIGGER_NAME.format(table)), sql.Identifier(table)
                )
            )

    def act_as_sync_writer(self) -> None:
        """Let this transaction write MongoDB-owned modules (the sync applying their changes)."""
        self.conn.execute(_AS_SYNC_WRITER)

    def _install_triggers(self) -> None:
        for table, module in ((c.table, c.module) for c in COLLECTIONS):
            self.conn.execute(
                sql.SQL(
                    "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {} "
                    "FOR EACH ROW EXECUTE FUNCTION cutover_capture({})"
                ).format(
                    sql.Identifier(_TRIGGER_NAME.format(table)),
                    sql.Identifier(table),
                    sql.Literal(module),
                )
            )

    # --- MongoDB -> PostgreSQL positions --------------------------------------------------
    def positions(self) -> dict[str, SyncPosition]:
        rows = self.conn.execute(_POSITIONS).fetchall()
        return {row[0]: SyncPosition(*row) for row in rows}

    def save_position(self, position: SyncPosition) -> None:
        self.conn.execute(_SAVE_POSITION, position.__dict__)

    # --- PostgreSQL -> MongoDB outbox -----------------------------------------------------
    def outbox_next(self, modules: list[str], limit: int) -> list[OutboxEntry]:
        rows = self.conn.execute(_OUTBOX_NEXT, (modules, limit)).fetchall()
        return [OutboxEntry(*row) for row in rows]

    def outbox_done(self, ids: list[int]) -> None:
        self.conn.execute(_OUTBOX_DONE, (ids,))

    def outbox_lag(self) -> dict[str, tuple[int, datetime]]:
        """Per module: pending entries and the oldest one's time."""
        rows = self.conn.execute(_OUTBOX_LAG).fetchall()
        return {module: (int(n), oldest) for module, n, oldest in rows}

    def outbox_pending(self, table: str, legacy_id: str) -> bool:
        return self.conn.execute(_OUTBOX_PENDING_ROW, (table, legacy_id)).fetchone() is not None
