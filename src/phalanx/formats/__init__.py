"""Formats: readers and writers of the intelligence formats members already use. PURE.

This package imports nothing from sqlalchemy, starlette or httpx and does no I/O: readers take
bytes or text and yield records; writers take domain objects and return text or bytes.
"""
