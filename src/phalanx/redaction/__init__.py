"""Redaction at ingest: personal data and victim identifiers out of free text. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O.

Free-text fields (comments, descriptions, incident notes) are scanned for e-mail addresses
(also defanged), phone numbers, IBANs and IBAN-like strings, payment card numbers, the personal
names a contributor lists, and internal host names (under the contributor's domains, with its
host-name prefixes, or Windows' default DESKTOP-/LAPTOP-/WIN- names). Each finding is replaced
by a placeholder such as ``[REDACTED:email]``; the contributor is told, item by item, the kind
and the position in the original text, never the redacted text itself.

Whether to redact at all is the caller's decision: when an agreement allows personal data,
ingest does not call ``redact``. Structured observables (an ``email`` indicator) are not free
text and never come here; e-mail addresses inside free text are always redacted.
"""

from phalanx.redaction.model import (
    KIND_LABELS,
    Redaction,
    RedactionResult,
    RedactionRules,
    Span,
    placeholder,
)
from phalanx.redaction.redact import redact
from phalanx.redaction.scan import scan

__all__ = [
    "KIND_LABELS",
    "Redaction",
    "RedactionResult",
    "RedactionRules",
    "Span",
    "placeholder",
    "redact",
    "scan",
]
