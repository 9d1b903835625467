"""The migration toolkit (a library first): sources → plan → convert → load → verify → export."""
