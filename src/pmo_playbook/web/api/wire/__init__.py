"""The legacy JSON shapes of the API, one small module per resource.

Services return typed models; only these modules turn them into the camelCase documents the
legacy clients read (same keys, same order, byte for byte: `tests/e2e/sops/test_wire_shapes.py`).
"""
