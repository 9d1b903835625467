"""The lossless BSON ⇄ JSONB codec (the second layer: sources → codec → load → verify → reverse).

`document` encodes one BSON document into natural JSON (`data`) plus sparse annotations and
decodes them back to the identical bytes (the BSON the C codec cannot reproduce is read and
written by `exact_bson.walk`, in its value model `exact_bson.values`); `bson_annotate` holds
the annotation format; `fastpath` is the C-speed encoder for the common documents (proved
against the full codec on every document); `rowcodec` binds one collection's shape and table
spec.
"""
