"""Loading into PostgreSQL (the third layer: sources → codec → load → verify → reverse).

`run.migrate` drives a run: one exclusive writer (`exclusive`), per-run bookkeeping against
duplicates and source changes (`run_guard`), and per collection `loader.load_collection`:
batches encoded (`batch`, in a worker process via `pipeline` for large collections), written
through a staging table (`staging`) or straight into an empty target (`direct`), verified by
reading back, quarantined when they cannot be rows (`quarantine`), checkpointed in the same
transaction (`checkpoints`). `deferred_indexes`, `prune`, `retry`, `status`, `report` and
`progress` serve the same run.
"""
