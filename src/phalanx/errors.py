"""The Phalanx error tree.

Exceptions carry structured fields, never HTTP codes; ``api/errors.py``, ``taxii/errors.py``
and ``cli`` each map the tree once (to JSON problems, TAXII error resources, exit codes)::

    PhalanxError
    ├── NotFound            a named thing does not exist (or may not be known to the caller)
    ├── Conflict            the request clashes with stored state
    ├── InvalidInput        bad input: which item, which field, why
    │   └── ParseError      a format reader could not parse a record (format, line)
    ├── PolicyDenied        the sharing policy forbids the action (never used to hide reads)
    ├── Unauthorized        no or bad credentials
    ├── Forbidden           the caller's role does not allow the action
    ├── TooLarge            an explicit limit was exceeded (payload size, batch size)
    ├── Unsupported         a media type, format or version we do not speak
    └── UpstreamError       a peer hub or remote server failed
"""

from __future__ import annotations

from typing import Any


class PhalanxError(Exception):
    """Base of every error Phalanx raises on purpose."""

    title = "Phalanx error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Return the error as a JSON-ready mapping (title, detail and structured fields)."""
        return {"title": self.title, "detail": self.message, **self.details}


class NotFound(PhalanxError):
    """A named thing does not exist, or the caller may not know that it exists."""

    title = "Not found"


class Conflict(PhalanxError):
    """The request clashes with stored state (duplicate name, reused idempotency key...)."""

    title = "Conflict"


class InvalidInput(PhalanxError):
    """Input that cannot be accepted; says which item and field, and why."""

    title = "Invalid input"

    def __init__(
        self,
        reason: str,
        *,
        field: str | None = None,
        item: int | None = None,
        value: Any = None,
        **details: Any,
    ) -> None:
        where = []
        if item is not None:
            where.append(f"item {item}")
        if field:
            where.append(f"field '{field}'")
        message = f"{', '.join(where)}: {reason}" if where else reason
        super().__init__(message, field=field, item=item, reason=reason, **details)
        self.reason = reason
        self.field = field
        self.item = item
        self.value = value


class ParseError(InvalidInput):
    """A reader could not parse one record of a format (line is 1-based when known)."""

    title = "Parse error"

    def __init__(self, reason: str, *, format: str, line: int | None = None, **details: Any):
        super().__init__(
            f"{format}{f' line {line}' if line is not None else ''}: {reason}",
            format=format,
            line=line,
            **details,
        )
        self.reason = reason
        self.format = format
        self.line = line


class PolicyDenied(PhalanxError):
    """The sharing policy forbids an action (writes, re-sharing); reads are hidden, not denied."""

    title = "Denied by policy"

    def __init__(self, message: str, *, rule: str, **details: Any) -> None:
        super().__init__(message, rule=rule, **details)
        self.rule = rule


class Unauthorized(PhalanxError):
    """Credentials are missing, malformed, unknown, expired or revoked."""

    title = "Unauthorized"


class Forbidden(PhalanxError):
    """The caller is authenticated but its role may not do this."""

    title = "Forbidden"


class TooLarge(PhalanxError):
    """An explicit, documented limit was exceeded."""

    title = "Too large"

    def __init__(self, message: str, *, limit: int, unit: str, **details: Any) -> None:
        super().__init__(message, limit=limit, unit=unit, **details)
        self.limit = limit
        self.unit = unit


class Unsupported(PhalanxError):
    """A media type, format or version that Phalanx does not speak."""

    title = "Unsupported"

    def __init__(self, message: str, *, what: str | None = None, **details: Any) -> None:
        super().__init__(message, what=what, **details)
        self.what = what


class UpstreamError(PhalanxError):
    """A peer hub or a remote server failed or answered nonsense."""

    title = "Upstream error"

    def __init__(self, message: str, *, peer: str | None = None, **details: Any) -> None:
        super().__init__(message, peer=peer, **details)
        self.peer = peer
