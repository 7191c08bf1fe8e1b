"""Policy: markings and the one decision function every read path obeys. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O.
A *decision* answers "may this viewer see this report, for this purpose, now?".
"""
