"""YARA rule bundle: one hash rule per file hash, contributed rules carried verbatim. PURE.

Sources: VirusTotal/yara ``docs/modules/hash.rst`` and yara.readthedocs.io "Writing rules",
digested in spec-notes §5.5. YARA is a DETECT format: it follows the member's filter (see
``model``), never carries ``never_deploy`` entries, and skips empty-file hashes.

* MD5, SHA-1 and SHA-256 each get ``rule phx_<kind>_<hex>`` comparing
  ``hash.<kind>(0, filesize)`` with the lowercase literal (the module returns lowercase hex).
  One rule per hash names the culprit in the match and carries its own meta (TLP, PAP,
  report, labels); the hash module caches the digest, so many rules cost one hash per file.
  SHA-512 has no function in the hash module and is not carried.
* Entries of kind ``yara`` hold rule text, carried verbatim after checks (``yara_source``):
  no ``global`` rules, no ``include``, must compile alone. A rule name declared by more than
  one entry, or equal to a generated name, is renamed ``phx_<digest>_<name>`` in each of them.
* Duplicated (kind, value) entries merge first (``model.merge_duplicates``).
* Items are whole rules; the header (imports, channel, version) is rebuilt by ``assemble``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from phalanx.channels import never_block
from phalanx.channels.formats import yara_source
from phalanx.channels.formats.base import ChannelFormat, Collected, admit_entries, header_text
from phalanx.channels.model import DeliveryEntry, Use, merge_duplicates
from phalanx.clock import format_timestamp
from phalanx.observables.kinds import HASH_LENGTHS, ObservableType

HASH_FUNCTIONS = {
    ObservableType.MD5: "md5",
    ObservableType.SHA1: "sha1",
    ObservableType.SHA256: "sha256",
}
KINDS = frozenset({*HASH_FUNCTIONS, ObservableType.YARA})
_HEX = re.compile(r"[0-9a-f]+")


def hash_rule_name(entry: DeliveryEntry) -> str:
    """The generated rule name for a hash entry, e.g. ``phx_sha256_<hex>``."""
    return f"phx_{HASH_FUNCTIONS[entry.type]}_{entry.value}"


def meta_string(text: str) -> str:
    """A YARA meta string literal: printable ASCII with ``\\`` and ``"`` escaped."""
    safe = header_text(text, limit=200).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{safe}"'


def hash_rule(entry: DeliveryEntry) -> str:
    """The rule matching files whose digest is the entry's hash."""
    function = HASH_FUNCTIONS[entry.type]
    meta = [
        ("source", meta_string("Phalanx")),
        ("tlp", meta_string(entry.tlp.label)),
        ("pap", meta_string(entry.pap.label)),
        ("report", meta_string(entry.report_ref)),
        ("labels", meta_string(" ".join(entry.labels))),
        ("first_seen", meta_string(format_timestamp(entry.first_seen))),
    ]
    if entry.confidence is not None:
        meta.append(("confidence", str(entry.confidence)))
    lines = "".join(f"    {key} = {value}\n" for key, value in meta)
    return (
        f"rule {hash_rule_name(entry)}\n{{\n  meta:\n{lines}  condition:\n"
        f'    hash.{function}(0, filesize) == "{entry.value}"\n}}\n'
    )


def _hash_reason(entry: DeliveryEntry) -> str | None:
    value = entry.value
    if len(value) != HASH_LENGTHS[entry.type] or not _HEX.fullmatch(value):
        return "invalid"
    return never_block.hash_reason(value)


def collect(entries: Sequence[DeliveryEntry], *, channel_name: str) -> Collected:
    """The bundle's rules: generated hash rules and checked contributed rules."""
    admitted, skipped = admit_entries(entries, use=Use.DETECT, kinds=KINDS)
    rules: set[str] = set()
    contributed: dict[str, list[str]] = {}
    for entry in merge_duplicates(admitted):
        reason = (
            yara_source.problem(entry.value)
            if entry.type is ObservableType.YARA
            else _hash_reason(entry)
        )
        if reason:
            skipped[reason] += 1
        elif entry.type is ObservableType.YARA:
            contributed[entry.value] = yara_source.declared_rules(entry.value)
        else:
            rules.add(hash_rule(entry))
    rules.update(_deduplicated(contributed, taken=_generated_names(rules)))
    return Collected(frozenset(rules), dict(sorted(skipped.items())))


def _generated_names(rules: Iterable[str]) -> Counter[str]:
    return Counter(rule.split(None, 2)[1] for rule in rules)


def _deduplicated(contributed: dict[str, list[str]], *, taken: Counter[str]) -> list[str]:
    """Contributed texts with every name declared more than once in the bundle renamed."""
    counts = taken + Counter(name for names in contributed.values() for name in set(names))
    clashing = {name for name, count in counts.items() if count > 1}
    texts = []
    for text, names in contributed.items():
        renamed = clashing.intersection(names)
        texts.append(yara_source.rename_rules(text, renamed) if renamed else text)
    return [text if text.endswith("\n") else f"{text}\n" for text in texts]


def assemble(
    items: Iterable[str], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """The bundle: header comment, ``import "hash"``, then the sorted rules."""
    header = (
        f"// Phalanx YARA rules for channel {header_text(channel_name)}\n"
        f"// version {version}, generated {format_timestamp(generated)}\n"
        'import "hash"\n'
    )
    body = "".join(f"\n{rule}" for rule in sorted(items))
    return (header + body).encode("utf-8")


FORMAT = ChannelFormat(
    name="yara",
    kinds=KINDS,
    use=Use.DETECT,
    media_type="text/plain; charset=utf-8",
    extension=".yar",
    collect=collect,
    assemble=assemble,
    description="YARA rules: one hash rule per MD5/SHA-1/SHA-256, contributed rules verbatim",
)


def render(
    entries: Sequence[DeliveryEntry], *, channel_name: str, version: int, generated: datetime
) -> bytes:
    """Render the YARA bundle for one channel version."""
    return FORMAT.render(entries, channel_name=channel_name, version=version, generated=generated)
