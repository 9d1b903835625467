-- 0008: why a quarantine entry was closed (issue 3, docs/migration-runbook.md "Quarantine").
-- Until now an entry was only closed when its document got stored (by a later run or
-- `pmo migrate quarantine retry`). A document quarantined before cut-over and then DELETED in the
-- legacy database stayed open forever: every catch-up run counted it, exited 1 and expected one
-- row fewer than the source holds. `pmo migrate run --prune` now closes such entries (keeping
-- the document and its reason) with resolution 'gone from the source'.

ALTER TABLE migration_quarantine ADD COLUMN resolution text
    CONSTRAINT migration_quarantine_resolution_check
    CHECK (resolution IN ('stored', 'gone from the source'));
UPDATE migration_quarantine SET resolution = 'stored' WHERE resolved_at IS NOT NULL;
ALTER TABLE migration_quarantine ADD CONSTRAINT migration_quarantine_resolved_has_resolution
    CHECK ((resolved_at IS NULL) = (resolution IS NULL));
COMMENT ON COLUMN migration_quarantine.resolution IS 'stored: a later run or retry stored the document; gone from the source: deleted in MongoDB, closed by --prune';
