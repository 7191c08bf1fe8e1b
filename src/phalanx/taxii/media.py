"""TAXII media types and content negotiation (TAXII 2.1 §1.6.8, §3.1; spec-notes §1.2). PURE."""

from __future__ import annotations

from phalanx.errors import Unsupported

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_TAXII = "application/taxii+json"


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    """Split an Accept / Content-Type header into (type, parameters) items."""
    ranges = []
    for item in header.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        values = {}
        for param in params:
            name, _, value = param.partition("=")
            values[name.strip().lower()] = value.strip().strip('"')
        if kind:
            ranges.append((kind.lower(), values))
    return ranges


def _is_taxii_21(kind: str, params: dict[str, str]) -> bool:
    return kind == _TAXII and params.get("version", "2.1") == "2.1"


def check_accept(header: str | None) -> None:
    """Raise Unsupported(what="accept") unless the Accept header admits TAXII 2.1 JSON.

    TAXII requires a TAXII media range on every request; ``*/*`` and ``application/*`` are
    served too (the spec lets a server answer undefined types), ``q=0`` refuses a range.
    """
    for kind, params in _media_ranges(header or ""):
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if _is_taxii_21(kind, params) or kind in ("*/*", "application/*"):
            return
    raise Unsupported(
        f"the Accept header must admit {TAXII_MEDIA_TYPE} (got {header!r})", what="accept"
    )


def check_content_type(header: str | None) -> None:
    """Raise Unsupported(what="content-type") unless the body is TAXII 2.1 JSON."""
    ranges = _media_ranges(header or "")
    if len(ranges) == 1 and _is_taxii_21(*ranges[0]):
        return
    raise Unsupported(
        f"the Content-Type must be {TAXII_MEDIA_TYPE} (got {header!r})", what="content-type"
    )
