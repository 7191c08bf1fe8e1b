"""Reproducible tar.gz bundles."""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime, timedelta
from io import BytesIO

from phalanx.channels.formats import tarball

MTIME = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FILES = {"b.lst": b"two\n", "a.rules": b"one\n", "empty.lst": b""}


def test_same_files_same_bytes_in_any_order() -> None:
    reordered = dict(reversed(list(FILES.items())))
    assert tarball.pack(FILES, mtime=MTIME) == tarball.pack(reordered, mtime=MTIME)
    assert tarball.pack(FILES, mtime=MTIME) != tarball.pack(FILES, mtime=MTIME + timedelta(1))


def test_round_trip_and_member_metadata() -> None:
    bundle = tarball.pack(FILES, mtime=MTIME)
    assert tarball.unpack(bundle) == FILES
    assert bundle[:2] == b"\x1f\x8b"  # RFC 1952: ID1 ID2, ..., then MTIME (4 bytes, LE)
    assert int.from_bytes(bundle[4:8], "little") == int(MTIME.timestamp())
    with tarfile.open(fileobj=BytesIO(bundle), mode="r:gz") as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == sorted(FILES)
    assert {(m.mode, m.uid, m.gid, m.uname, m.mtime) for m in members} == {
        (0o644, 0, 0, "", int(MTIME.timestamp()))
    }
