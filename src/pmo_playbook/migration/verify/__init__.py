"""`pmo migrate verify` (the fourth layer): every source document against its stored row.

`compare` streams the source and the rows and names the differing field paths; `columns`
checks what cannot be re-derived from `data` alone (a reference, `updated_at` drift).
"""
