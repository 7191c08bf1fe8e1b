"""The match index: every indicator a caller may see, in a few numpy arrays. PURE.

Layout (see ``nbytes`` for the accounting):

- a key table (``keytable.py``) of 64-bit keys for exact values: text keys for IPv4 addresses
  (canonical dotted quad), domains, URLs, hashes and e-mail addresses; integer-mixed keys for
  IPv6 addresses and IPv6 CIDRs longer than /64 (one key per prefix length; the lengths
  present are listed);
- a prefix table (``prefixes.py``) for IPv4 CIDRs and one for IPv6 CIDRs up to /64;
- derived on load: a filter of the dotted-quad text prefixes the IPv4 CIDRs cover
  (``quads.py``), so most IPv4 lines are cleared without being parsed.

The index holds keys, never values: a match reports the indicator value rebuilt from the
observation (the matched domain suffix, the network of the observed address...). Refs are the
caller's opaque integers, stored as uint32 when they all fit, else int64.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from phalanx.errors import InvalidInput
from phalanx.matcher.hashing import SegmentHasher, ipv6_keys
from phalanx.matcher.keytable import KeyTable
from phalanx.matcher.prefixes import PrefixTable
from phalanx.matcher.quads import QuadFilter
from phalanx.observables.kinds import ObservableType as T

# Kind codes stored per key (uint8); the order is part of the file format.
KINDS: tuple[T, ...] = (
    T.IPV4, T.IPV6, T.CIDR, T.DOMAIN, T.URL, T.EMAIL, T.MD5, T.SHA1, T.SHA256, T.SHA512,
)  # fmt: skip
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
MATCHABLE_TYPES = frozenset(KINDS)
_TEXT_KINDS = frozenset({T.DOMAIN, T.URL, T.EMAIL, T.MD5, T.SHA1, T.SHA256, T.SHA512})
_LOWER_KINDS = frozenset({T.DOMAIN, T.EMAIL, T.MD5, T.SHA1, T.SHA256, T.SHA512})


@dataclass(slots=True)
class MatchIndex:
    """Indicators ready for matching; build with :func:`build_index` or ``from_bytes``."""

    seed: int
    keys: KeyTable
    cidr4: PrefixTable
    cidr6: PrefixTable
    long6: tuple[int, ...]  # IPv6 prefix lengths > 64 present in the key table (128 = address)
    count: int
    tld_domains: bool = True  # some domain indicator is a single label (a TLD)
    hasher: SegmentHasher = field(init=False, repr=False)

    quads: QuadFilter = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.hasher = SegmentHasher(self.seed)
        self.quads = QuadFilter(self.cidr4, self.hasher)

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        """Return the bytes the loaded index holds: numpy arrays plus object overhead."""
        arrays = self.keys.nbytes + self.cidr4.nbytes + self.cidr6.nbytes + self.quads.nbytes
        return arrays + _OBJECT_OVERHEAD

    def to_bytes(self) -> bytes:
        """Return the index as a versioned, checksummed byte string."""
        from phalanx.matcher.index_file import dump_index  # index_file imports this module

        return dump_index(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> MatchIndex:
        """Return the index stored in ``data``; raise InvalidInput/Unsupported if it is not one."""
        from phalanx.matcher.index_file import load_index  # index_file imports this module

        return load_index(data)


# Python objects around the arrays: 3 tables, ~20 ndarray headers (~112 bytes each), the
# dataclass and the hasher's small power tables before first use. Measured, rounded up.
_OBJECT_OVERHEAD = 4096


def build_index(indicators: Iterable[tuple[int, T, str]], *, seed: int | None = None) -> MatchIndex:
    """Return an index over (ref, type, canonical value) indicators of the matchable types."""
    seed = random.getrandbits(64) if seed is None else seed
    parts = _Parts()
    count = 0
    for count, (ref, kind, value) in enumerate(indicators, start=1):
        try:
            parts.add(ref, kind if kind.__class__ is T else T(kind), value)
        except (ValueError, OSError) as error:
            raise InvalidInput(str(error), item=count, field="value", value=value) from None
    return parts.build(seed, count)


class _Parts:
    """Indicators sorted into the structures they will live in, before building."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        self.text_codes: list[int] = []
        self.text_refs: list[int] = []
        self.v4: list[tuple[int, int, int]] = []  # (network, length, ref)
        self.v6: list[tuple[int, int, int]] = []  # (high half of network, length, ref)
        self.long6: dict[int, list[tuple[int, int, int]]] = {}  # length: (address, code, ref)
        self.tld_domains = False

    def add(self, ref: int, kind: T, value: str) -> None:
        """File one indicator; raise ValueError/OSError when its value does not parse."""
        if kind in _TEXT_KINDS:
            text = value.strip()
            if kind in _LOWER_KINDS:
                text = text.lower().removesuffix(".") if kind is T.DOMAIN else text.lower()
            if not text:
                raise ValueError(f"empty {kind.value} value")
            if kind is T.DOMAIN and "." not in text:
                self.tld_domains = True
        elif kind is T.IPV4:  # keyed by canonical text: the fast path hashes lines as they are
            text = socket.inet_ntoa(socket.inet_pton(socket.AF_INET, value.strip()))
        elif kind is T.IPV6:
            self.long6.setdefault(128, []).append((_ipv6_int(value), KIND_CODE[kind], ref))
            return
        elif kind is T.CIDR:
            self._add_cidr(ref, value)
            return
        else:
            raise ValueError(f"type {kind.value} cannot be matched against logs")
        self.texts.append(text.encode())
        self.text_codes.append(KIND_CODE[kind])
        self.text_refs.append(ref)

    def _add_cidr(self, ref: int, value: str) -> None:
        address, _, length_text = value.strip().partition("/")
        six = ":" in address
        width = 128 if six else 32
        length = int(length_text) if length_text else width
        number = _ipv6_int(address) if six else _ipv4_int(address)
        if not 0 <= length <= width or number & ((1 << (width - length)) - 1):
            raise ValueError(f"{value!r} is not a CIDR network (host bits set or bad length)")
        if not six:
            self.v4.append((number, length, ref))
        elif length <= 64:
            self.v6.append((number >> 64, length, ref))
        else:
            self.long6.setdefault(length, []).append((number, KIND_CODE[T.CIDR], ref))

    def build(self, seed: int, count: int) -> MatchIndex:
        """Return the finished index."""
        hasher = SegmentHasher(seed)
        key_parts, codes, refs = [hasher.keys_of(self.texts)], self.text_codes, self.text_refs
        long6 = sorted(self.long6)
        for length in long6:
            rows = self.long6[length]
            key_parts.append(_v6_keys([address for address, _, _ in rows], length))
            codes += [code for _, code, _ in rows]
            refs += [ref for _, _, ref in rows]
        all_refs = refs + [r for _, _, r in self.v4] + [r for _, _, r in self.v6]
        fits = not all_refs or (min(all_refs) >= 0 and max(all_refs) < 1 << 32)
        ref_dtype = np.uint32 if fits else np.int64
        keys = KeyTable.from_unsorted(
            np.concatenate(key_parts),
            np.array(codes, dtype=np.uint8),
            np.array(refs, dtype=ref_dtype),
        )
        cidr4 = PrefixTable.from_items(32, self.v4, ref_dtype)
        cidr6 = PrefixTable.from_items(64, self.v6, ref_dtype)
        return MatchIndex(seed, keys, cidr4, cidr6, tuple(long6), count, self.tld_domains)


def _v6_keys(addresses: list[int], length: int) -> npt.NDArray[np.uint64]:
    """Return key-table keys for IPv6 prefixes of one length."""
    high = np.array([a >> 64 for a in addresses], dtype=np.uint64)
    low = np.array([a & ((1 << 64) - 1) for a in addresses], dtype=np.uint64)
    return ipv6_keys(high, low, length)


def _ipv4_int(value: str) -> int:
    """Return a dotted-quad IPv4 address as an integer (OSError if it is not one)."""
    return int.from_bytes(socket.inet_pton(socket.AF_INET, value.strip()), "big")


def _ipv6_int(value: str) -> int:
    """Return an IPv6 address as an integer (OSError if it is not one)."""
    return int.from_bytes(socket.inet_pton(socket.AF_INET6, value.strip()), "big")
