"""BSON itself, exactly (the bottom layer, beneath sources and codec).

`values` is the exact value model (the types the `bson` package decodes lossily kept distinct)
and its canonical Extended JSON; `walk` is the one element-by-element BSON reader and writer:
the codec reads and writes the documents the C codec cannot reproduce with it, and the dump
readers ask it where an array key is out of sequence.
"""
