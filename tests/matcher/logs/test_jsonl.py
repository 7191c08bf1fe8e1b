"""JSON lines in flat and Elastic Common Schema shapes."""

from __future__ import annotations

from pathlib import Path

from phalanx.matcher.logs.jsonl import read_jsonl
from phalanx.matcher.model import LogProblem, Observation
from phalanx.observables.kinds import ObservableType as T


def test_flat_and_ecs_fields_lists_and_prose(samples: Path) -> None:
    items = list(read_jsonl(samples.joinpath("events.jsonl").read_bytes().splitlines()))
    found = [(o.line, o.field, o.kind_hint, o.value) for o in items if isinstance(o, Observation)]
    assert (1, "tls.client.server_name", T.DOMAIN, "cdn.evil.test") in found
    assert (
        3,
        "file.hash.sha256",
        T.SHA256,
        "2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE",
    ) in found
    assert (4, "message", None, "blocked callback to evil[.]test from host 10.1.2.6") in found
    assert [
        (line, value) for line, field, _, value in found if field == "src_ip" and line == 9
    ] == [(9, "10.1.2.9"), (9, "203.0.113.200")]
    assert [p.line for p in items if isinstance(p, LogProblem)] == [7, 8]


def test_timestamps_come_from_the_usual_fields() -> None:
    items = list(read_jsonl([b'{"time": 1740823201, "ip": "10.0.0.1"}', b'{"ip": "10.0.0.2"}']))
    assert [o.ts.isoformat() if isinstance(o, Observation) and o.ts else None for o in items] == [
        "2025-03-01T10:00:01+00:00",
        None,
    ]


def test_a_field_map_replaces_the_defaults() -> None:
    items = list(
        read_jsonl([b'{"src_ip": "10.0.0.1", "peer": {"addr": "10.0.0.2"}}'], {"peer.addr": T.IPV4})
    )
    assert [(o.field, o.value) for o in items if isinstance(o, Observation)] == [
        ("peer.addr", "10.0.0.2")
    ]
