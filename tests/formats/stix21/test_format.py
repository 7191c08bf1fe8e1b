"""The package's FORMAT entry and its PURE promise."""

from __future__ import annotations

import subprocess
import sys

import orjson

from phalanx.formats.base import FormatSpec
from phalanx.formats.stix21 import FORMAT, read_bundle


def test_format_spec() -> None:
    assert isinstance(FORMAT, FormatSpec)
    assert FORMAT.name == "stix"
    assert FORMAT.media_types == ("application/stix+json", "application/vnd.oasis.stix+json")
    assert FORMAT.read is read_bundle


def test_reader_through_the_format_entry() -> None:
    payload = orjson.dumps({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"})
    assert list(FORMAT.read(payload, {})) == []


def test_package_imports_no_web_or_database_code() -> None:
    # PURE (STYLE.md): checked in a fresh interpreter so other tests' imports do not count.
    code = (
        "import sys, phalanx.formats.stix21\n"
        "banned = ('sqlalchemy', 'starlette', 'fastapi', 'httpx')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in banned))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
