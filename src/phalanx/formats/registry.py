"""The explicit list of contribution formats, plus third-party ones from entry points."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from phalanx.errors import Unsupported
from phalanx.formats import freetext, items_csv, items_json, plaintext, stix21
from phalanx.formats.base import FormatSpec
from phalanx.misp import reader as misp_reader

BUILTIN = (
    items_json.FORMAT,
    stix21.FORMAT,
    items_csv.FORMAT,
    plaintext.FORMAT,
    freetext.FORMAT,
    misp_reader.FORMAT,
)
ENTRY_POINT_GROUP = "phalanx.formats"


@cache
def formats() -> dict[str, FormatSpec]:
    """Return every format by name; a duplicate name is a configuration error."""
    found: dict[str, FormatSpec] = {}
    plugins = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    for spec in (*BUILTIN, *plugins):
        if not isinstance(spec, FormatSpec):
            raise TypeError(f"entry point in {ENTRY_POINT_GROUP} is not a FormatSpec: {spec!r}")
        if spec.name in found:
            raise ValueError(f"two contribution formats are named {spec.name!r}")
        found[spec.name] = spec
    return found


def get(name: str) -> FormatSpec:
    """Return the format called ``name``; raise Unsupported with the valid names."""
    spec = formats().get(name.strip().lower())
    if spec is None:
        raise Unsupported(
            f"unknown format {name!r}; use one of {', '.join(formats())}", what="format"
        )
    return spec


def for_media_type(content_type: str) -> FormatSpec:
    """Return the format a Content-Type names (parameters such as charset are ignored)."""
    media = content_type.split(";", 1)[0].strip().lower()
    for spec in formats().values():
        if media in spec.media_types:
            return spec
    accepted = sorted({m for spec in formats().values() for m in spec.media_types})
    raise Unsupported(
        f"unsupported Content-Type {media!r}; send one of {', '.join(accepted)} "
        "or name the format with ?format=",
        what="media-type",
    )


def guess(filename: str, payload: bytes) -> FormatSpec:
    """Guess a file's format from its extension, then its first bytes (for the CLI)."""
    lowered = filename.lower()
    head = payload[:4096].lstrip()
    if lowered.endswith(".json") or head.startswith((b"{", b"[")):
        return get("stix") if b'"type"' in head and b'"bundle"' in head else get("json")
    for spec in formats().values():
        if any(lowered.endswith(ext) for ext in spec.extensions):
            return spec
    return get("text")
