"""Database access: URLs, the embedded server, the pool, schema migrations."""
