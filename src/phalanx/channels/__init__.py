"""Deployment channels: what a member loads into its security controls. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O;
time arrives as an argument. A *channel* is a member's subscription: a format (PAN-OS EDL,
Suricata, DNS RPZ, YARA, CSV, ...) plus a :class:`~phalanx.channels.model.ChannelFilter`.

The boundary with the integrator's HTTP/DB shell::

    entries (already allowed by policy.decide for the channel's owner)
      -> model.select_entries(entries, filter, use=spec.use, kinds=spec.kinds)
      -> spec.build(...)            body bytes + feed items + skipped counts
      -> store items per version    (an append-only change log: version, item, added?)
      -> ?since=V                   delta.compact_changes(log after V) -> delta.to_json/to_text
      -> ETag                       formats.base.etag(body)

Modules: ``model`` (entries, filters, the deployment rule), ``never_block`` (spec-notes §6.5),
``delta`` (versioned item sets), ``formats`` (one module per output format, a registry).
"""

from phalanx.channels.model import ChannelFilter, DeliveryEntry, Use, select_entries

__all__ = ["ChannelFilter", "DeliveryEntry", "Use", "select_entries"]
