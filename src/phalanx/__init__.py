"""Phalanx: a collective-defense threat-intelligence exchange.

Members contribute unique intelligence, deploy what they receive, and share only as agreed.
The public names are the version and the error tree; everything else is reached through
its package (``phalanx.observables``, ``phalanx.policy``, ...).
"""

from phalanx.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ParseError,
    PhalanxError,
    PolicyDenied,
    TooLarge,
    Unauthorized,
    Unsupported,
    UpstreamError,
)

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "ParseError",
    "PhalanxError",
    "PolicyDenied",
    "TooLarge",
    "Unauthorized",
    "Unsupported",
    "UpstreamError",
    "__version__",
]
