"""The migration toolkit MongoDB → PostgreSQL (a library first), in layers that follow the flow:

`sources/` (read a live server, a dump, an archive or JSON exports) → `codec/` (BSON ⇄ natural
JSON + annotations, losslessly) → `load/` (batches, staging, checkpoints, one writer) →
`verify/` (source against rows) → `reverse/` (rows back to MongoDB files), with `exact_bson/`
(BSON's exact value model and the one BSON walker) beneath them all. A module imports
only from its own layer or the layers before it (tests/unit/test_migration_layers.py). `mapping`
resolves source collections to the tables declared in `documents.registry`; `plan` is the
read-only pre-flight over sources and codec.
"""
