"""Audit entries and the hash chain. PURE."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row exactly as stored (details is the canonical JSON text)."""

    seq: int
    at: int  # microseconds since the epoch
    actor_org_id: int | None
    actor: str | None
    action: str
    subject: str | None
    details: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The result of recomputing a chain."""

    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str | None = None


def canonical_details(details: dict[str, Any]) -> str:
    """Serialise details deterministically (sorted keys, compact, UTF-8)."""
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: int,
    actor_org_id: int | None,
    actor: str | None,
    action: str,
    subject: str | None,
    details: str,
) -> str:
    """Return the SHA-256 that seals one entry onto the chain."""
    fields = [prev_hash, str(seq), str(at), _text(actor_org_id), _text(actor), action]
    fields += [_text(subject), details]
    # Length-prefix every field so no two different rows can serialise alike.
    material = b"".join(len(f.encode()).to_bytes(4, "big") + f.encode() for f in fields)
    return hashlib.sha256(material).hexdigest()


def verify_chain(entries: Any, previous: str = GENESIS) -> ChainVerdict:
    """Recompute the chain over entries in seq order; name the first entry that breaks it."""
    checked = 0
    for entry in entries:
        if entry.prev_hash != previous:
            return ChainVerdict(False, checked, entry.seq, "prev_hash does not match entry before")
        expected = entry_hash(
            prev_hash=entry.prev_hash,
            seq=entry.seq,
            at=entry.at,
            actor_org_id=entry.actor_org_id,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            details=entry.details,
        )
        if expected != entry.hash:
            return ChainVerdict(False, checked, entry.seq, "content does not match its hash")
        previous = entry.hash
        checked += 1
    return ChainVerdict(True, checked)


def _text(value: object) -> str:
    return "" if value is None else str(value)
