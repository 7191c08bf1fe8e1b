"""Which values are known to be benign, for a channel's ``exclude_benign``. PURE.

A :class:`BenignIndex` answers, for many values at once, why a value is benign (a short
reason) or None. The hub's feed builder asks the index it is given; the default,
:data:`RESERVED`, knows what exists in the code base today: the never-block table
(``never_block``: reserved and documentation ranges, special-use names, empty-file hashes).
A warninglist index (pymispwarninglists, spec-notes §6) plugs in by implementing the same
protocol and is installed once with ``deployment.feeds.set_benign_index`` (the API also
honours a per-app ``app.state.benign_index``).

Benign entries are dropped from every BLOCK format whatever the filter says (the deployment
rule in ``model``); DETECT and LOOKUP formats drop them when the filter's ``exclude_benign``
is set (the default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from phalanx.channels import never_block
from phalanx.observables.kinds import ObservableType


class BenignIndex(Protocol):
    """Says why a (kind, canonical value) is known to be benign, or None when it is not.

    An index may also offer ``reasons(kind, values)``, the same answers for many values of
    one kind at once (:func:`reasons` uses it when present).
    """

    def reason(self, kind: ObservableType, value: str) -> str | None: ...


def reasons(index: BenignIndex, kind: ObservableType, values: Sequence[str]) -> list[str | None]:
    """``index.reason`` for each value, through the index's bulk form when it has one."""
    bulk = getattr(index, "reasons", None)
    if bulk is not None:
        return list(bulk(kind, values))
    reason = index.reason
    return [reason(kind, value) for value in values]


def _address(value: str) -> str | None:
    reason = never_block.network_reason(value)
    return reason if reason == "reserved-range" else None


def _ipv4(value: str) -> str | None:
    reason = never_block.ipv4_reason(value)
    return reason if reason == "reserved-range" else None


def _domain(value: str) -> str | None:
    reason = never_block.domain_reason(value)
    return reason if reason == "special-use-name" else None


_CHECKS: dict[ObservableType, Callable[[str], str | None]] = {
    ObservableType.IPV4: _ipv4,
    ObservableType.IPV6: _address,
    ObservableType.CIDR: _address,
    ObservableType.DOMAIN: _domain,
    ObservableType.MD5: never_block.hash_reason,
    ObservableType.SHA1: never_block.hash_reason,
    ObservableType.SHA256: never_block.hash_reason,
    ObservableType.SHA512: never_block.hash_reason,
}


class ReservedValues:
    """The never-block table as a benign index (reserved ranges, special-use names...)."""

    def reason(self, kind: ObservableType, value: str) -> str | None:
        """Why the value is benign, or None."""
        check = _CHECKS.get(kind)
        return None if check is None else check(value)


class CombinedIndex:
    """Several indexes asked in order; the first reason wins."""

    def __init__(self, *indexes: BenignIndex) -> None:
        self.indexes = indexes

    def reason(self, kind: ObservableType, value: str) -> str | None:
        """The first index's reason, or None when no index knows the value."""
        for index in self.indexes:
            found = index.reason(kind, value)
            if found is not None:
                return found
        return None

    def reasons(self, kind: ObservableType, values: Sequence[str]) -> list[str | None]:
        """``reason`` for many values of one kind (each index asked in bulk)."""
        found: list[str | None] = [None] * len(values)
        for index in self.indexes:
            pending = [i for i, reason in enumerate(found) if reason is None]
            if not pending:
                break
            answers = reasons(index, kind, [values[i] for i in pending])
            for position, reason in zip(pending, answers, strict=True):
                found[position] = reason
        return found


class NoValues:
    """An index that knows no benign value."""

    def reason(self, kind: ObservableType, value: str) -> str | None:
        """Always None."""
        return None

    def reasons(self, kind: ObservableType, values: Sequence[str]) -> list[str | None]:
        """Always None, for each value."""
        return [None] * len(values)


RESERVED = ReservedValues()
NOTHING_BENIGN = NoValues()
