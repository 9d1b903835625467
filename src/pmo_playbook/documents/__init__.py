"""Pydantic models of the legacy documents (natural JSON, legacy camelCase keys).

`common` holds the shared helpers (ISO dates in the natural form, ObjectId-like ids, the row
to legacy-JSON rendering); one module per collection holds its document models.
`registry` describes each legacy collection once (name, aliases, shape, table, vocabularies,
indexes, module); the document models read their vocabularies from it.
"""
