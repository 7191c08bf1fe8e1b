"""Items assessed before the write transaction and corrected in it score exactly as a full
assessment in the transaction would: the correction redoes every credit unit with history."""

from __future__ import annotations

import random
from typing import Any

import pytest

from phalanx.alliance.assess import assess
from phalanx.formats.items_json import records_of
from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.members import secrets, service
from phalanx.members.model import Principal
from phalanx.store import observables as observable_store

POOL = [
    # one registered domain through names and URLs
    "alpha-gaming.net",
    "a.alpha-gaming.net",
    "b.alpha-gaming.net",
    "http://alpha-gaming.net/x.php",
    "http://c.alpha-gaming.net/y",
    "beta-c2.org",
    "http://www.beta-c2.org/gate.php",
    # IPv4 addresses, also as URL hosts (a URL credits its host's unit)
    "198.51.100.7",
    "http://198.51.100.7/p",
    "198.51.100.8",
    "http://198.51.100.8:8080/q",
    # hashes
    "9e107d9d372bb6826bd81d3542a419d6a1f4c8b2e3d5f60718293a4b5c6d7e8f",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "d41d8cd98f00b204e9800998ecf8427e",
    # IPv6 addresses: one /64 twice
    "2a0e:97c0:3e3:17::1",
    "2a0e:97c0:3e3:17::2",
    "2a0e:97c0:3e3:18::1",
    # on a warninglist
    "www.google.com",
    "8.8.8.8",
]


def _principal(hub: Hub, who: Any) -> Principal:
    parsed = secrets.parse_token(who.token)
    assert parsed is not None
    with hub.db.read() as conn:
        return service.authenticate(conn, key_id=parsed[0], secret=parsed[1], now=hub.clock())


@pytest.mark.parametrize("seed", range(6))
def test_corrected_early_assessment_equals_a_full_one(
    api: Any, hub: Hub, member: Any, seed: int
) -> None:
    rng = random.Random(seed)
    mallory, other = member("Mallory Security"), member("Other CERT", kind="cert")
    api.contribute(mallory, rng.sample(POOL, 8), tlp="green")
    api.contribute(other, rng.sample(POOL, 8), tlp=rng.choice(["green", "amber"]))
    batch = [{"value": rng.choice(POOL)} for _ in range(30)]
    caller = _principal(hub, mallory)
    request = pipeline.Request(list(records_of(batch)), {"tlp": "green"}, "json")
    with hub.db.read() as conn:
        prepared = pipeline.prepare(hub, conn, principal=caller, request=request)
    assert prepared.early is not None
    early = dict(prepared.early.found)
    first = prepared.first
    with hub.db.transaction() as conn:
        rows = [(key, i.observable.type.value, i.observable.value) for key, i in first.items()]
        stored = observable_store.store_many(conn, hub.db, rows)
        existed = [key for key in first if key in stored.existed]
        plan = hub.plan(conn, hub.viewer(caller))
        common = {"org_id": caller.org_id, "plan": plan, "items": first, "existed": existed}
        full, none = assess(hub, conn, **common, facts=prepared.facts)
        corrected, redone = assess(hub, conn, **common, facts=prepared.facts, early=prepared.early)
    assert corrected == full
    assert none is None
    # Every key whose early result changed was named as redone (staging relies on it).
    assert redone is not None
    assert {key for key in first if early[key] != full[key]} <= redone
    # Both kinds of item are in the batch: ones the correction changed and ones it kept.
    assert any(early[key] != full[key] for key in first)
    assert any(early[key] == full[key] for key in first)
