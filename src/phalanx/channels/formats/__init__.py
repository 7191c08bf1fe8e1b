"""Channel output formats, one module per format, listed in ``registry``. PURE.

No I/O and no sqlalchemy/starlette/fastapi/httpx: each module turns delivery entries into
feed items and lays items out as bytes (see ``base`` for the contract that keeps deltas exact).
"""
