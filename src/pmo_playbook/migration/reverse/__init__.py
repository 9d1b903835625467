"""`pmo migrate export` (the last layer): PostgreSQL back to mongodump or mongoexport files.

`export` decodes every row with the codec; `staged_folder` publishes the files only when the
export is complete.
"""
