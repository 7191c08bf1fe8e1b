"""Report labels: validation and the stored form. PURE.

Labels are lowercase terms: roles (``c2``, ``compromised-site``, ``phishing``, ``payload``),
``malware:<family>``, ``attack:<ATT&CK id>`` (``attack:T1071.001``), ``kill-chain:<phase>``
and free tags. They are stored as ``|a|b|`` so one LIKE finds a label on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from phalanx.errors import InvalidInput

MAX_LABELS = 32
_LABEL = re.compile(r"^[a-z0-9][a-z0-9:._/+\- ]{0,99}$")
_ATTACK = re.compile(r"^attack:(t\d{4}(?:\.\d{3})?|ta\d{4}|s\d{4}|g\d{4})$")


def normalize_label(raw: str) -> str:
    """Return the canonical label or raise InvalidInput with the reason."""
    label = raw.strip().lower()
    if not _LABEL.match(label):
        raise InvalidInput(
            f"label {raw!r} must be 1-100 characters of a-z, 0-9 and :._/+- (no '|')",
            field="labels",
        )
    if label.startswith("attack:"):
        if not _ATTACK.match(label):
            raise InvalidInput(
                f"label {raw!r}: ATT&CK ids look like attack:T1071 or attack:T1071.001",
                field="labels",
            )
        prefix, ident = label.split(":", 1)
        label = f"{prefix}:{ident.upper()}"
    elif label.startswith("malware:") and len(label) == len("malware:"):
        raise InvalidInput("label 'malware:' needs a family name", field="labels")
    return label


def normalize_labels(raw: Iterable[str] | str | None) -> tuple[str, ...]:
    """Validate, de-duplicate and sort labels (a comma-separated string is accepted)."""
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    if not all(isinstance(item, str) for item in items):
        raise InvalidInput("labels must be strings", field="labels")
    labels = sorted({normalize_label(item) for item in items if item.strip()})
    if len(labels) > MAX_LABELS:
        raise InvalidInput(f"at most {MAX_LABELS} labels per item", field="labels")
    return tuple(labels)


def encode_labels(labels: Iterable[str]) -> str:
    """Return the stored form: ``|a|b|``, or '' for none."""
    items = sorted(labels)
    return f"|{'|'.join(items)}|" if items else ""


def decode_labels(stored: str) -> tuple[str, ...]:
    """Return labels from their stored form."""
    return tuple(part for part in stored.split("|") if part)


# Labels may contain '_', which LIKE reads as "any one character": without escaping, an
# agreement limited to ``c_2`` would admit reports labelled ``c-2`` or ``cx2``. Every LIKE on
# labels must say ``ESCAPE '!'`` (a character no label may contain).
LIKE_ESCAPE = "!"


def label_pattern(label: str) -> str:
    """Return the LIKE pattern (escape ``LIKE_ESCAPE``) finding ``label`` (``malware:*`` ok)."""
    if label.endswith("*"):
        return f"%|{_like_literal(label[:-1])}%"
    return f"%|{_like_literal(label)}|%"


def _like_literal(text: str) -> str:
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text
