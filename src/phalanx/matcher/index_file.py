"""The match index file: a versioned, checksummed container of named numpy arrays. PURE.

Layout (little-endian)::

    header   magic "PHXMIDX\\0", format version u32, array count u32, seed u64, indicators u64
    arrays   per array: name (16 bytes), dtype (8 bytes, numpy str), element count u64,
             then the data padded to 8 bytes
    trailer  CRC-32 of everything before it, u32

Only source arrays are stored (keys, kinds, refs, networks); filters, intervals and parents
are rebuilt on load, so a loaded index is checked by the same code that built it.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from phalanx.errors import InvalidInput, Unsupported
from phalanx.matcher.index import KINDS, MatchIndex
from phalanx.matcher.keytable import KeyTable
from phalanx.matcher.prefixes import PrefixTable

MAGIC = b"PHXMIDX\0"
VERSION = 1
_HEADER = struct.Struct("<8sIIQQ")
_ARRAY = struct.Struct("<16s8sQ")
_TRAILER = struct.Struct("<I")
_REF_DTYPES = frozenset({"<u4", "<i8"})
_DTYPES = {
    "keys": {"<u8"}, "kinds": {"|u1"}, "refs": _REF_DTYPES,
    "c4.nets": {"<u8"}, "c4.lengths": {"|u1"}, "c4.starts": {"<i4"}, "c4.refs": _REF_DTYPES,
    "c6.nets": {"<u8"}, "c6.lengths": {"|u1"}, "c6.starts": {"<i4"}, "c6.refs": _REF_DTYPES,
    "long6": {"|u1"}, "flags": {"|u1"},
}  # fmt: skip


def dump_index(index: MatchIndex) -> bytes:
    """Return the file bytes of ``index``."""
    arrays: dict[str, npt.NDArray[Any]] = {
        "keys": index.keys.keys, "kinds": index.keys.kinds, "refs": index.keys.refs,
        "long6": np.array(index.long6, dtype=np.uint8),
        "flags": np.array([index.tld_domains], dtype=np.uint8),
    }  # fmt: skip
    for prefix, table in (("c4", index.cidr4), ("c6", index.cidr6)):
        arrays[f"{prefix}.nets"], arrays[f"{prefix}.lengths"] = table.nets, table.lengths
        arrays[f"{prefix}.starts"], arrays[f"{prefix}.refs"] = table.ref_starts, table.refs
    parts = [_HEADER.pack(MAGIC, VERSION, len(arrays), index.seed, index.count)]
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        parts.append(
            _ARRAY.pack(name.encode(), array.dtype.newbyteorder("<").str.encode(), len(array))
        )
        parts.append(data + b"\0" * (-len(data) % 8))
    body = b"".join(parts)
    return body + _TRAILER.pack(zlib.crc32(body))


def load_index(data: bytes) -> MatchIndex:
    """Return the index in ``data``; raise InvalidInput (damaged) or Unsupported (version)."""
    if len(data) < _HEADER.size + _TRAILER.size or data[:8] != MAGIC:
        raise _bad("not a Phalanx match index (bad magic)")
    _, version, count, seed, indicators = _HEADER.unpack_from(data)
    if version != VERSION:
        raise Unsupported(
            f"match index format version {version} is not supported (this build reads "
            f"version {VERSION}); rebuild it with 'phalanx match --index-out'",
            what=f"match index version {version}",
        )
    (crc,) = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
    if zlib.crc32(memoryview(data)[: len(data) - _TRAILER.size]) != crc:
        raise _bad("checksum mismatch: the file is truncated or damaged")
    arrays = _read_arrays(data, count)
    _check(arrays)
    refs = arrays["refs"]
    return MatchIndex(
        seed=seed,
        keys=KeyTable(arrays["keys"], arrays["kinds"], refs),
        cidr4=_prefixes(32, arrays, "c4"),
        cidr6=_prefixes(64, arrays, "c6"),
        long6=tuple(int(n) for n in arrays["long6"]),
        count=indicators,
        tld_domains=bool(arrays["flags"][0]),
    )


def _read_arrays(data: bytes, count: int) -> dict[str, npt.NDArray[Any]]:
    """Return the named arrays, copied out of ``data`` in native byte order."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    offset, end = _HEADER.size, len(data) - _TRAILER.size
    for _ in range(count):
        if offset + _ARRAY.size > end:
            raise _bad("array table runs past the end of the file")
        raw_name, raw_dtype, length = _ARRAY.unpack_from(data, offset)
        offset += _ARRAY.size
        name, dtype_str = raw_name.rstrip(b"\0").decode(), raw_dtype.rstrip(b"\0").decode()
        if dtype_str not in _DTYPES.get(name, ()):
            raise _bad(f"unexpected array {name!r} of type {dtype_str!r}")
        dtype = np.dtype(dtype_str)
        size = length * dtype.itemsize
        if offset + size > end:
            raise _bad(f"array {name!r} runs past the end of the file")
        array = np.frombuffer(data, dtype=dtype, count=length, offset=offset)
        arrays[name] = array.astype(dtype.newbyteorder("="))  # a copy: ``data`` can be freed
        offset += size + (-size % 8)
    missing = set(_DTYPES) - set(arrays)
    if missing or offset != end:
        raise _bad(f"missing arrays {sorted(missing)}" if missing else "trailing bytes")
    return arrays


def _check(arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Raise InvalidInput unless the arrays describe a consistent index."""
    keys = arrays["keys"]
    if not len(keys) == len(arrays["kinds"]) == len(arrays["refs"]):
        raise _bad("key, kind and ref arrays differ in length")
    if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
        raise _bad("keys are not sorted")
    if len(keys) and int(arrays["kinds"].max()) >= len(KINDS):
        raise _bad("unknown indicator kind code")
    if len(arrays["flags"]) != 1 or any(not 64 < int(n) <= 128 for n in arrays["long6"]):
        raise _bad("bad flags or IPv6 prefix length list")
    for prefix, width in (("c4", 32), ("c6", 64)):
        nets, lengths, starts = (arrays[f"{prefix}.{n}"] for n in ("nets", "lengths", "starts"))
        if len(starts) != len(nets) + 1 or len(lengths) != len(nets):
            raise _bad(f"{prefix}: array lengths disagree")
        if starts[0] != 0 or starts[-1] != len(arrays[f"{prefix}.refs"]):
            raise _bad(f"{prefix}: ref ranges do not cover the refs")
        if np.any(np.diff(starts) <= 0) or (len(lengths) and int(lengths.max()) > width):
            raise _bad(f"{prefix}: bad ref ranges or prefix lengths")
        same = (nets[1:] == nets[:-1]) & (lengths[1:] <= lengths[:-1])
        if np.any(nets[1:] < nets[:-1]) or np.any(same):
            raise _bad(f"{prefix}: networks are not sorted and unique")
        host = np.left_shift(np.uint64(1), np.uint64(width) - lengths) - np.uint64(1)
        if np.any(nets & np.where(lengths == 0, ~np.uint64(0), host)):
            raise _bad(f"{prefix}: a network has host bits set")


def _prefixes(width: int, arrays: dict[str, npt.NDArray[Any]], prefix: str) -> PrefixTable:
    """Return the prefix table stored under ``prefix``."""
    nets, lengths, starts = (arrays[f"{prefix}.{n}"] for n in ("nets", "lengths", "starts"))
    return PrefixTable(width, nets, lengths, starts, arrays[f"{prefix}.refs"])


def _bad(reason: str) -> InvalidInput:
    """Return the error for a damaged index file."""
    return InvalidInput(f"match index: {reason}", field="index")
