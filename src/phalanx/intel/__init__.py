"""Intel: reports, the merged view of an observable, and their lifecycle. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O.
A *report* is one organisation's statement about one observable in one contribution; what a
viewer sees of an observable is merged only from the reports that viewer may see.
"""
