"""The explicit list of channel formats, plus third-party ones from entry points.

The STIX 2.1 bundle (``stix``) and the MISP feed (``misp-feed``) are listed with the others.
Plugins register under the ``phalanx.channel_formats`` entry-point group.
A duplicate name is a configuration error, never a silent override.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points

from phalanx.channels.formats import (
    csv_table,
    edl,
    misp_feed,
    rpz,
    stix_bundle,
    suricata,
    yara_bundle,
)
from phalanx.channels.formats.base import ChannelFormat
from phalanx.errors import Unsupported

BUILTIN: tuple[ChannelFormat, ...] = (
    edl.IP,
    edl.DOMAIN,
    edl.URL,
    suricata.FORMAT,
    rpz.FORMAT,
    yara_bundle.FORMAT,
    csv_table.FORMAT,
    stix_bundle.FORMAT,
    misp_feed.FORMAT,
)
ENTRY_POINT_GROUP = "phalanx.channel_formats"


def build_registry(specs: Iterable[object]) -> dict[str, ChannelFormat]:
    """Index formats by name; reject non-formats and duplicate names."""
    found: dict[str, ChannelFormat] = {}
    for spec in specs:
        if not isinstance(spec, ChannelFormat):
            raise TypeError(f"not a ChannelFormat: {spec!r}")
        if spec.name in found:
            raise ValueError(f"two channel formats are named {spec.name!r}")
        found[spec.name] = spec
    return found


@cache
def formats() -> dict[str, ChannelFormat]:
    """Every channel format by name: the built-in ones, then entry-point plugins."""
    plugins = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return build_registry((*BUILTIN, *plugins))


def get(name: str) -> ChannelFormat:
    """Return the channel format called ``name``; raise Unsupported with the valid names."""
    spec = formats().get(name.strip().lower())
    if spec is None:
        raise Unsupported(
            f"unknown channel format {name!r}; use one of {', '.join(sorted(formats()))}",
            what="channel-format",
        )
    return spec
