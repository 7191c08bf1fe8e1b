"""Suricata 7+ bundle: a rules file plus the dataset and file-hash lists it loads. PURE.

Sources: OISF/suricata ``doc/userguide/rules/datasets.rst``, ``ipaddr.rst``,
``file-keywords.rst``, ``transforms.rst`` and ``src/detect-transform-pcrexform.c``, digested in
spec-notes §5.2. Unpack the bundle into the default rule path and list the ``.rules`` file
under ``rule-files``: ``load`` paths are relative to the rules file and ``filemd5``-style lists
are looked up in the rule directory.

* Domains go to one ``string`` dataset (base64 lines). Exact-match sets do not see subdomains
  and a ``dotprefix`` rule per domain does not scale to a million names, so each rule first
  cuts the buffer to its last *d* labels with ``pcrexform`` and then asks the set: a query is
  caught when it is a listed name or under one. One rule per label depth present in the list,
  for each of ``dns.query``, ``tls.sni`` and ``http.host``. ``http.host`` is normalised to
  lowercase by Suricata; DNS and SNI buffers are compared as sent.
* Addresses go to one ``ip`` dataset matched with ``ip.src`` and ``ip.dst`` (Suricata 7+;
  ``ip`` sets hold addresses, not prefixes). CIDRs get one ``<>`` rule each.
* MD5/SHA-1/SHA-256 go to ``filemd5``/``filesha1``/``filesha256`` lists, with one rule per
  protocol Suricata extracts files from (file extraction must be enabled).
* sids are ``SID_BASE + hash(channel, rule key)`` in a 10**9-wide private range, so they are
  stable per channel and distinct across a member's channels; rule text depends only on the
  channel and the rule key, so ``rev`` is :data:`RULE_REVISION`, bumped with the templates.
  Dataset contents change without a rule change: Suricata reloads ``load`` sets on every rule
  reload, and a ``?since=`` delta maps one-to-one to ``dataset-add``/``dataset-remove``.
* Items are ``<role>\\t<line>`` (role: rules, domains, ips, md5, sha1, sha256 — see
  :func:`file_names`); values on the never-block table are skipped.
"""

from __future__ import annotations

import hashlib
import re
from binascii import b2a_base64
from collections.abc import Iterable, Sequence
from datetime import datetime

from phalanx.channels import never_block
from phalanx.channels.formats import tarball
from phalanx.channels.formats.base import (
    ChannelFormat,
    Collected,
    channel_slug,
    collect_values,
    header_text,
)
from phalanx.channels.model import DeliveryEntry, Use
from phalanx.clock import format_timestamp
from phalanx.observables.kinds import HASH_LENGTHS, ObservableType

KINDS = frozenset(
    {
        ObservableType.DOMAIN,
        ObservableType.IPV4,
        ObservableType.IPV6,
        ObservableType.CIDR,
        ObservableType.MD5,
        ObservableType.SHA1,
        ObservableType.SHA256,
    }
)
RULE_REVISION = 1
SID_BASE = 1_000_000_000
SID_SPAN = 1_000_000_000
DOMAIN_BUFFERS = (("dns", "dns.query"), ("tls", "tls.sni"), ("http", "http.host"))
FILE_PROTOCOLS = ("ftp-data", "http", "nfs", "smb", "smtp")
FILE_KEYWORDS = {
    ObservableType.MD5: "filemd5",
    ObservableType.SHA1: "filesha1",
    ObservableType.SHA256: "filesha256",
}
SEPARATOR = "\t"
# Hot-loop aliases: a module global is cheaper to read than an Enum class attribute.
_DOMAIN, _IPV4 = ObservableType.DOMAIN, ObservableType.IPV4
_HASH_ROLES = {kind: (kind.value, HASH_LENGTHS[kind]) for kind in FILE_KEYWORDS}
_HEX = re.compile(r"[0-9a-f]+")
_MSG_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/()+-]")


ROLES = ("domains", "ips", "md5", "sha1", "sha256")


def file_names(channel_name: str) -> dict[str, str]:
    """The bundle's file names by role: rules, domains, ips, md5, sha1, sha256."""
    slug = channel_slug(channel_name)
    names = {"rules": f"phalanx-{slug}.rules"}
    for role in ROLES:
        names[role] = f"phx-{slug}-{role}.lst"
    return names


class _Lists:
    """The bundle's lists while entries are sorted into them."""

    def __init__(self) -> None:
        self.lines: dict[str, set[str]] = {role: set() for role in ROLES}
        self.domains, self.ips = self.lines["domains"], self.lines["ips"]
        self.depths: set[int] = set()
        self.networks: set[str] = set()

    def add(self, entry: DeliveryEntry) -> tuple[str, ...] | str:
        """Sort one entry into its list; return no items, or why the entry is skipped."""
        kind, value = entry.type, entry.value
        if kind is _DOMAIN:
            reason = never_block.domain_reason(value)
            if reason is None:
                self.depths.add(value.count(".") + 1)
                self.domains.add(b2a_base64(value.encode(), newline=False).decode())
        elif kind is _IPV4:
            reason = never_block.ipv4_reason(value)
            if reason is None:
                self.ips.add(value)
        elif kind in _HASH_ROLES:
            role, length = _HASH_ROLES[kind]
            reason = "invalid" if len(value) != length else _hash_reason(value)
            if reason is None:
                self.lines[role].add(value)
        else:
            reason = self._add_network(value)
        return () if reason is None else reason

    def _add_network(self, value: str) -> str | None:
        block = never_block.parse_block(value)
        if isinstance(block, str):
            return block
        if block[2] == (32 if block[0] == 4 else 128):
            self.ips.add(never_block.block_address(block))
        else:
            self.networks.add(never_block.block_text(block))
        return None


def _hash_reason(value: str) -> str | None:
    if not _HEX.fullmatch(value):
        return "invalid"
    return never_block.hash_reason(value)


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """The bundle's items, ``<role>\\t<line>``: list lines and the rules that load them."""
    lists = _Lists()
    collected = collect_values(entries, use=Use.BLOCK, kinds=KINDS, convert=lists.add)
    items = {f"{role}{SEPARATOR}{line}" for role, lines in lists.lines.items() for line in lines}
    names = file_names(channel_name)
    rules = _rules(lists, names, channel_name)
    sids = assign_sids(channel_name, rules)
    for key, body in rules.items():
        items.add(f"rules{SEPARATOR}{body} sid:{sids[key]}; rev:{RULE_REVISION};)")
    return Collected(frozenset(items), collected.skipped)


def _rules(lists: _Lists, names: dict[str, str], channel_name: str) -> dict[str, str]:
    """Rule text without ``sid``/``rev`` and the closing parenthesis, by rule key."""
    label = f"Phalanx {_MSG_UNSAFE.sub('_', header_text(channel_name, limit=60))}"
    return {
        **_domain_rules(lists, names, label),
        **_address_rules(lists, names, label),
        **_file_rules(lists, names, label),
    }


def _domain_rules(lists: _Lists, names: dict[str, str], label: str) -> dict[str, str]:
    if not lists.domains:
        return {}
    rules = {}
    dataset = _dataset("domains", "string", names, len(lists.domains))
    for depth in sorted(lists.depths):
        # Exactly one capture group (pcrexform's rule); [.] avoids escaping backslashes.
        cut = f'pcrexform:"([^.]+(?:[.][^.]+){{{depth - 1}}})$"'
        for protocol, buffer in DOMAIN_BUFFERS:
            msg = f"{label}: listed domain or subdomain in {buffer} ({depth} labels)"
            rules[f"domain/{buffer}/{depth}"] = (
                f'alert {protocol} any any -> any any (msg:"{msg}"; {buffer}; {cut}; {dataset};'
            )
    return rules


def _address_rules(lists: _Lists, names: dict[str, str], label: str) -> dict[str, str]:
    rules = {}
    if lists.ips:
        dataset = _dataset("ips", "ip", names, len(lists.ips))
        for buffer in ("ip.src", "ip.dst"):
            rules[f"ip/{buffer}"] = (
                f'alert ip any any -> any any (msg:"{label}: listed address in {buffer}"; '
                f"{buffer}; {dataset}; {_THRESHOLD};"
            )
    for network in lists.networks:
        rules[f"cidr/{network}"] = (
            f'alert ip any any <> {network} any (msg:"{label}: traffic with listed network '
            f'{network}"; {_THRESHOLD};'
        )
    return rules


def _file_rules(lists: _Lists, names: dict[str, str], label: str) -> dict[str, str]:
    rules = {}
    for kind, keyword in FILE_KEYWORDS.items():
        role = kind.value
        if lists.lines[role]:
            for protocol in FILE_PROTOCOLS:
                rules[f"file/{role}/{protocol}"] = (
                    f'alert {protocol} any any -> any any (msg:"{label}: file with listed '
                    f'{role.upper()} over {protocol}"; {keyword}:{names[role]};'
                )
    return rules


# One alert per address pair per 10 minutes: address rules match every packet otherwise.
_THRESHOLD = "threshold:type limit, track by_both, count 1, seconds 600"


def _dataset(role: str, data_type: str, names: dict[str, str], count: int) -> str:
    # hashsize close to the entry count keeps start-up fast (datasets.rst); both options move
    # in powers of two so the rule text rarely changes as the list grows.
    hashsize = max(1024, 1 << (count - 1).bit_length())
    memcap_mb = max(32, (hashsize * 256) >> 20)
    name = names[role].removesuffix(".lst")
    return (
        f"dataset:isset,{name}, type {data_type}, load {names[role]}, "
        f"memcap {memcap_mb}mb, hashsize {hashsize}"
    )


def assign_sids(channel_name: str, keys: Iterable[str]) -> dict[str, int]:
    """Stable sids per (channel, rule key); a rare clash moves to the next free sid."""
    taken: set[int] = set()
    sids: dict[str, int] = {}
    for key in sorted(keys):
        digest = hashlib.blake2b(f"{channel_name}\0{key}".encode(), digest_size=8).digest()
        offset = int.from_bytes(digest, "big") % SID_SPAN
        while SID_BASE + offset in taken:
            offset = (offset + 1) % SID_SPAN
        taken.add(SID_BASE + offset)
        sids[key] = SID_BASE + offset
    return sids


def assemble_files(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> dict[str, bytes]:
    """The bundle's files (name -> content); the rules file is always present."""
    names = file_names(channel_name)
    lines: dict[str, list[str]] = {"rules": []}
    for item in items:
        role, _, line = item.partition(SEPARATOR)
        lines.setdefault(role, []).append(line)
    header = (
        f"# Phalanx Suricata rules for channel {header_text(channel_name)}\n"
        f"# version {version}, generated {format_timestamp(generated)}; needs Suricata 7+\n"
    )
    files = {}
    for role, body in lines.items():
        body.sort()
        text = "\n".join(body) + "\n" if body else ""
        files[names[role]] = (header + text if role == "rules" else text).encode("ascii")
    return files


assemble = tarball.packed(assemble_files)


FORMAT = ChannelFormat(
    name="suricata",
    kinds=KINDS,
    use=Use.BLOCK,
    media_type=tarball.MEDIA_TYPE,
    extension=".tar.gz",
    collect=collect,
    assemble=assemble,
    assemble_files=assemble_files,
    description="Suricata 7+ rules with domain/IP datasets and file-hash lists",
)


def render(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render the bundle (tar.gz) for one channel version."""
    return FORMAT.render(entries, channel_name=channel_name, version=version, generated=generated)


def render_files(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> dict[str, bytes]:
    """Render the bundle as files (name -> content) for one channel version."""
    return FORMAT.render_files(
        entries, channel_name=channel_name, version=version, generated=generated
    )
