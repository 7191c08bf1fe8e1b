"""PAN-OS External Dynamic Lists: IP, domain and URL lists. PURE.

Source: Palo Alto Networks, "Formatting Guidelines for an External Dynamic List" (IP, Domain,
URL pages, PAN-OS 9.x-11.x), digested in spec-notes §5.1. One list holds one type; one entry
per line; the firewall skips lines it cannot parse and keeps its last good copy when the
server is unreachable.

Decisions:

* No comments. A trailing ``<space>comment`` is documented for IP lists only; the firewall
  never shows it, and leaving it out keeps every line a pure value (and the delta small).
* Domain lists carry ``evil.example`` *and* ``*.evil.example``: ``*`` must be a whole token
  and stands for one or more subdomain labels, and whether newer releases expand subdomains
  on their own is unconfirmed (spec-notes §8), so both lines are needed to block the domain
  and everything under it.
* URL lists drop the scheme (entries must not carry ``http://``/``https://``), skip URLs
  longer than 255 characters (``too-long``) and URLs containing ``*`` or ``^``, which PAN-OS
  would read as a wildcard or an exact-match token (``wildcard-character``). PAN-OS 10.2+
  appends ``/`` to entries not ending in ``/`` or ``*``, so an entry also matches its subpaths.
* Values on the never-block table (spec-notes §6.5) are skipped at this boundary too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from phalanx.channels import never_block
from phalanx.channels.formats.base import (
    ChannelFormat,
    Collected,
    Collector,
    collect_values,
    sorted_text,
)
from phalanx.channels.model import DeliveryEntry, Use
from phalanx.observables.kinds import ObservableType

MAX_ENTRY_LENGTH = 255
MEDIA_TYPE = "text/plain; charset=utf-8"

IP_KINDS = frozenset({ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR})
DOMAIN_KINDS = frozenset({ObservableType.DOMAIN})
URL_KINDS = frozenset({ObservableType.URL})

_AUTHORITY_END = re.compile(r"[/?#]")
# Anything PAN-OS would split a line on, or that is not printable ASCII.
_NOT_URL_TEXT = re.compile(r"[^\x21-\x7e]")


def ip_lines(entry: DeliveryEntry) -> tuple[str, ...] | str:
    """The IP-list line for an address or CIDR, or why it is skipped."""
    if entry.type is ObservableType.IPV4:
        reason = never_block.ipv4_reason(entry.value)
        return reason if reason else (entry.value,)
    block = never_block.parse_block(entry.value)
    return block if isinstance(block, str) else (never_block.block_text(block),)


def domain_lines(entry: DeliveryEntry) -> tuple[str, ...] | str:
    """The domain-list lines (the name and its ``*.`` subdomain wildcard), or a skip reason."""
    # A valid name has at most 253 characters, so "*." keeps it within the 255 limit.
    reason = never_block.domain_reason(entry.value)
    return reason if reason else (entry.value, f"*.{entry.value}")


def url_lines(entry: DeliveryEntry) -> tuple[str, ...] | str:
    """The URL-list line (scheme removed), or why the URL is skipped."""
    value = entry.value
    # Canonical URLs have a lowercase scheme (spec-notes §6.3).
    if value.startswith("http://"):
        line = value[7:]
    elif value.startswith("https://"):
        line = value[8:]
    else:
        return "unsupported-scheme"
    if len(line) > MAX_ENTRY_LENGTH:
        return "too-long"
    if _NOT_URL_TEXT.search(line):
        return "invalid"
    if "*" in line or "^" in line:
        return "wildcard-character"
    reason = url_host_reason(line)
    return reason if reason else (line,)


def url_host_reason(line: str) -> str | None:
    """Check the host of a scheme-less URL against the never-block table."""
    end = _AUTHORITY_END.search(line)
    authority = line[: end.start()] if end else line
    if not authority or "@" in authority:
        return "invalid"
    if authority.startswith("["):
        host = authority[1 : authority.find("]")] if "]" in authority else ""
        return never_block.network_reason(host) if ":" in host else "invalid"
    host = authority.rpartition(":")[0] if ":" in authority else authority
    if host[-1:].isdigit():
        return never_block.ipv4_reason(host)
    return never_block.domain_reason(host)


def collect_ip(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """Items of an IP list."""
    return collect_values(entries, use=Use.BLOCK, kinds=IP_KINDS, convert=ip_lines)


def collect_domain(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """Items of a domain list."""
    return collect_values(entries, use=Use.BLOCK, kinds=DOMAIN_KINDS, convert=domain_lines)


def collect_url(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """Items of a URL list."""
    return collect_values(entries, use=Use.BLOCK, kinds=URL_KINDS, convert=url_lines)


def assemble(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """The list body: sorted lines, no header (a header line would be a bogus entry)."""
    return sorted_text(items).encode("ascii")


def _spec(
    name: str, kinds: frozenset[ObservableType], collect: Collector, what: str
) -> ChannelFormat:
    return ChannelFormat(
        name=name,
        kinds=kinds,
        use=Use.BLOCK,
        media_type=MEDIA_TYPE,
        extension=".txt",
        collect=collect,
        assemble=assemble,
        description=f"PAN-OS External Dynamic List of {what}",
    )


IP = _spec("edl-ip", IP_KINDS, collect_ip, "IP addresses and CIDRs")
DOMAIN = _spec("edl-domain", DOMAIN_KINDS, collect_domain, "domains (with *. subdomains)")
URL = _spec("edl-url", URL_KINDS, collect_url, "URLs")


def render_ip(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render an IP list."""
    return IP.render(entries, channel_name=channel_name, version=version, generated=generated)


def render_domain(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render a domain list."""
    return DOMAIN.render(entries, channel_name=channel_name, version=version, generated=generated)


def render_url(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render a URL list."""
    return URL.render(entries, channel_name=channel_name, version=version, generated=generated)
