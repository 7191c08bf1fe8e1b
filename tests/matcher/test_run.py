"""Running the matcher over files and stdin: JSON lines out, a summary back."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import orjson
import pytest

from phalanx.errors import InvalidInput
from phalanx.matcher import MatchIndex
from phalanx.matcher.run import read_chunks, run_match

ZEEK = ["conn.log", "dns.log", "http.log", "files.log"]


def records(out: io.BytesIO) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def test_text_run_writes_one_json_line_per_match(samples: Path, sample_index: MatchIndex) -> None:
    out = io.BytesIO()
    summary = run_match([str(samples / "iocs.txt")], "text", sample_index, out)
    found = records(out)
    assert found[0] == {
        "source": f"{samples / 'iocs.txt'}:2", "field": None, "observed": "198.51.100.7",
        "indicator": {"ref": 1, "type": "ipv4", "value": "198.51.100.7"}, "how": "exact",
    }  # fmt: skip
    assert {(r["source"].rsplit(":", 1)[1], r["indicator"]["ref"], r["how"]) for r in found} >= {
        ("4", 2, "parent-domain"),  # WWW.EVIL.TEST.
        ("13", 2, "url-host"),  # defanged URL in prose
        ("17", 4, "cidr"),  # ::ffff:203.0.113.9
        ("18", 2, "parent-domain"),  # an IDN
    }
    assert (summary.lines, summary.matches, summary.malformed["text"]) == (18, len(found), 1)
    assert summary.problems[0][1:] == (16, "not UTF-8 (invalid start byte at byte 15)")


@pytest.mark.parametrize(
    ("fmt", "files", "matches", "malformed"),
    [
        ("zeek", ZEEK, 23, 4),
        ("eve", ["eve.json"], 23, 3),
        ("jsonl", ["events.jsonl"], 15, 2),
        ("csv", ["firewall.csv"], 11, 1),
    ],
)
def test_every_format_matches_its_sample(
    samples: Path,
    sample_index: MatchIndex,
    fmt: str,
    files: list[str],
    matches: int,
    malformed: int,
) -> None:
    out = io.BytesIO()
    summary = run_match([str(samples / f) for f in files], fmt, sample_index, out)
    found = records(out)
    assert (summary.matches, summary.malformed[fmt], len(found)) == (matches, malformed, matches)
    assert all(r["ts"].startswith("2025-03-01T10:0") for r in found)
    assert summary.rate > 0 and summary.observations > summary.matches / 3


def test_stdin_and_gzip_sources(samples: Path, sample_index: MatchIndex, tmp_path: Path) -> None:
    packed = tmp_path / "eve.json.gz"
    packed.write_bytes(gzip.compress((samples / "eve.json").read_bytes()))
    from_gzip, from_stdin = io.BytesIO(), io.BytesIO()
    run_match([str(packed)], "eve", sample_index, from_gzip)
    stdin = io.BytesIO((samples / "eve.json").read_bytes())
    run_match(["-"], "eve", sample_index, from_stdin, stdin=stdin)
    strip = [{**r, "source": r["source"].rsplit(":", 1)[1]} for r in records(from_gzip)]
    assert strip == [{**r, "source": r["source"].rsplit(":", 1)[1]} for r in records(from_stdin)]
    assert records(from_stdin)[0]["source"] == "-:1"


def test_a_field_map_applies_to_the_run(samples: Path, sample_index: MatchIndex) -> None:
    from phalanx.matcher.logs import parse_field_map

    out = io.BytesIO()
    run_match(
        [str(samples / "firewall.csv")], "csv", sample_index, out, parse_field_map("sha256=sha256")
    )
    assert [r["indicator"]["ref"] for r in records(out)] == [7]


def test_an_unknown_format_is_refused(sample_index: MatchIndex) -> None:
    with pytest.raises(InvalidInput, match="unknown log format"):
        run_match([], "pcap", sample_index, io.BytesIO())


def test_chunks_hold_whole_lines_whatever_the_line_length() -> None:
    data = b"a\n" + b"x" * 100 + b"\nb\nc"
    chunks = list(read_chunks(io.BytesIO(data), size=8))
    assert all(c.endswith(b"\n") for c in chunks) and b"".join(chunks) == data + b"\n"
