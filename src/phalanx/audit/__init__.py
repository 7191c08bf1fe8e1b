"""Audit: the append-only, hash-chained log of contributions, changes and accesses.

``model.py`` is PURE (hashing and verification); ``record.py`` appends and reads rows.
Each entry's hash covers every stored field and the previous entry's hash, so changing
any byte of any row, or removing or reordering rows, breaks the chain at that entry.
"""
