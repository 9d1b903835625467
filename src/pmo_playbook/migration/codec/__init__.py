"""The lossless BSON ⇄ JSONB codec (the second layer: sources → codec → load → verify → reverse).

`document` encodes one BSON document into natural JSON (`data`) plus sparse annotations and
decodes them back to the identical bytes; `bson_walk` reads and writes the BSON the C codec
cannot reproduce, `bson_values` and `bson_annotate` hold the value forms and the annotation
format; `fastpath` is the C-speed encoder for the common documents (proved against the full
codec on every document); `rowcodec` binds one collection's shape and table spec.
"""
