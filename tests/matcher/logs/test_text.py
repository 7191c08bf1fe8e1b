"""Plain text: one value per line, prose kept whole for extraction."""

from __future__ import annotations

from pathlib import Path

from phalanx.matcher.logs.text import read_text
from phalanx.matcher.model import LogProblem, Observation


def test_every_non_empty_line_is_one_observation(samples: Path) -> None:
    lines = [
        line.rstrip(b"\r") for line in samples.joinpath("iocs.txt").read_bytes().split(b"\n")[:-1]
    ]
    items = list(read_text(lines))
    observations = [o for o in items if isinstance(o, Observation)]
    assert len(observations) == len(lines) - 2  # one empty line, one that is not UTF-8
    assert observations[1] == Observation(None, "198.51.100.7", 2)
    assert [p.line for p in items if isinstance(p, LogProblem)] == [16]
