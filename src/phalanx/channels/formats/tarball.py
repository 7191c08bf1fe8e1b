"""Reproducible tar.gz bundles for multi-file channel formats. PURE (in-memory only).

Same files and same ``mtime`` give the same bytes: members are sorted by name, owners and
modes are fixed, the tar is USTAR (no pax timestamps) and the gzip header carries ``mtime``
instead of the current time (RFC 1952 MTIME), so the ETag of a bundle is stable.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

MEDIA_TYPE = "application/gzip"
# Level 1: on a million-entry Suricata bundle it is 5x faster than the default 6 for an
# output ~8% larger, and a bundle is rebuilt for every channel version.
COMPRESS_LEVEL = 1


def pack(files: Mapping[str, bytes], *, mtime: datetime) -> bytes:
    """Return a gzip-compressed tar of ``files`` (name -> content) stamped with ``mtime``."""
    stamp = int(mtime.timestamp())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(files):
            content = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = stamp
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), compresslevel=COMPRESS_LEVEL, mtime=stamp)


def packed(
    assemble_files: Callable[..., Mapping[str, bytes]],
) -> Callable[..., bytes]:
    """The ``assemble`` of a multi-file format: its files as a reproducible tar.gz."""

    def assemble(
        items: Iterable[str], *, channel_name: str, version: int, generated: datetime
    ) -> bytes:
        files = assemble_files(
            items, channel_name=channel_name, version=version, generated=generated
        )
        return pack(files, mtime=generated)

    return assemble


def unpack(bundle: bytes) -> dict[str, bytes]:
    """Return the regular files of a bundle made by :func:`pack` (for clients and tests)."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(bundle)), mode="r:") as archive:
        for member in archive.getmembers():
            extracted = archive.extractfile(member) if member.isfile() else None
            if extracted is not None:
                files[member.name] = extracted.read()
    return files
