"""DNS Response Policy Zone (RPZ) for BIND, Unbound, PowerDNS Recursor, Knot Resolver. PURE.

Sources: draft-vixie-dnsop-dns-rpz, PowerDNS ``basic.rpz``, the Unbound manual, BIND
``lib/dns/rpz.c`` (``ip2name``, the canonical IP trigger form), digested in spec-notes §5.4.

The zone is an ordinary master file with relative owner names and no ``$ORIGIN``, so a member
loads it under any zone name it likes (``rpz.phalanx.`` say). The SOA serial is the channel
version (RFC 1982 serial arithmetic, taken modulo 2**32) so secondaries transfer each version.

* Domains get ``name CNAME .`` and ``*.name CNAME .`` (NXDOMAIN for the name and every name
  under it; the bare wildcard does not cover the name itself).
* IPv4/IPv6 addresses and CIDRs become response-IP triggers, ``<prefix>.<reversed>.rpz-ip``,
  which rewrite any answer containing such an address. IPv6 uses BIND's canonical form: 16-bit
  groups reversed, with ``zz`` for the RFC 5952 ``::`` run (BIND logs a non-canonical name).
* Names are emitted only from a strict hostname grammar (``never_block``), so nothing in an
  owner name can be read as master-file syntax (``;``, ``(``, ``$``, ``@``, ``\\``, spaces).
  Owners longer than :data:`MAX_OWNER_LENGTH` characters are skipped, so that the zone name
  still fits in a 255-octet owner (zone names up to 62 characters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from phalanx.channels import never_block
from phalanx.channels.formats.base import (
    ChannelFormat,
    Collected,
    collect_values,
    header_text,
    sorted_text,
)
from phalanx.channels.model import DeliveryEntry, Use
from phalanx.clock import format_timestamp
from phalanx.observables.kinds import ObservableType

KINDS = frozenset(
    {ObservableType.DOMAIN, ObservableType.IPV4, ObservableType.IPV6, ObservableType.CIDR}
)
TTL = 300
# SOA timers: refresh 1 h, retry 10 min, expire 1 week, negative TTL 5 min. After `expire`
# without the primary, secondaries stop serving the zone (the policy fails open).
SOA_TIMERS = "3600 600 604800 300"
# 255 octets on the wire = len(relative text) + 1 + the zone name's wire length (<= 64).
MAX_OWNER_LENGTH = 190
ACTION = "CNAME ."


def domain_records(name: str) -> tuple[str, ...] | str:
    """QNAME triggers for a domain and its subdomains, or why the domain is skipped."""
    reason = never_block.domain_reason(name)
    if reason:
        return reason
    if len(name) + 2 > MAX_OWNER_LENGTH:
        return "too-long"
    return (f"{name} {ACTION}", f"*.{name} {ACTION}")


def ip_trigger(block: never_block.Block) -> str:
    """The relative ``rpz-ip`` owner name for an address block (BIND's canonical form)."""
    version, _, prefix = block
    address = never_block.block_address(block)
    if version == 4:
        return f"{prefix}.{'.'.join(reversed(address.split('.')))}.rpz-ip"
    head, double_colon, tail = address.partition("::")
    groups = head.split(":") if head else []
    if double_colon:
        groups += ["zz", *(tail.split(":") if tail else [])]
    return f"{prefix}.{'.'.join(reversed(groups))}.rpz-ip"


def ip_records(value: str) -> tuple[str, ...] | str:
    """The response-IP trigger record for an address or CIDR, or why it is skipped."""
    block = never_block.parse_block(value)
    return block if isinstance(block, str) else (f"{ip_trigger(block)} {ACTION}",)


def _records(entry: DeliveryEntry) -> tuple[str, ...] | str:
    if entry.type is ObservableType.DOMAIN:
        return domain_records(entry.value)
    return ip_records(entry.value)


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """Zone records (one item per line) for the entries."""
    return collect_values(entries, use=Use.BLOCK, kinds=KINDS, convert=_records)


def assemble(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """The zone: comment, ``$TTL``, SOA (serial = version), NS, then the sorted records."""
    serial = version % 2**32
    header = (
        f"; Phalanx response policy zone for channel {header_text(channel_name)}\n"
        f"; version {version}, generated {format_timestamp(generated)}\n"
        f"$TTL {TTL}\n"
        f"@ IN SOA localhost. hostmaster.localhost. ( {serial} {SOA_TIMERS} )\n"
        "@ IN NS localhost.\n"
    )
    return (header + sorted_text(items)).encode("ascii")


FORMAT = ChannelFormat(
    name="rpz",
    kinds=KINDS,
    use=Use.BLOCK,
    media_type="text/dns",  # RFC 4027
    extension=".rpz",
    collect=collect,
    assemble=assemble,
    description="DNS response policy zone (NXDOMAIN for domains, subdomains and answer IPs)",
)


def render(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render the zone for one channel version."""
    return FORMAT.render(entries, channel_name=channel_name, version=version, generated=generated)
