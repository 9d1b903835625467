"""Live cut-over: two-way sync between MongoDB and PostgreSQL, one module at a time."""
