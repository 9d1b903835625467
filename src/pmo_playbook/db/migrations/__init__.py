"""Numbered plain-SQL schema migrations (`NNNN_name.sql`), applied in order by `db.schema`."""
