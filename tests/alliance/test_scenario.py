"""Acceptance: eight vendors and a published feed, each outcome and ledger row as documented.

Vendor A reports a malware hash first; Vendor B the same hash later with new ATT&CK context;
Vendor C a value in the published feed; Vendor D a warninglisted public resolver; Vendor E a
value Vendor A shared as TLP:RED to Vendor F only — and E learns nothing of A's report: not
from the outcome, the novelty, the points, the ledger, nor any read path.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from phalanx.alliance import feeds
from phalanx.alliance.feed_formats import read_payload
from phalanx.store.tables import alliance_ledger

from .conftest import ledger

VENDORS = [f"Vendor {letter}" for letter in "ABCDEFGH"]
HASH = "5f4dcc3b5aa765d61d8327deb882cf992b95e2f3ec0b3a9cbd8d4a1d2c4e6f70"
PUBLISHED = "invoice-portal-update.com"
RESOLVER = "8.8.8.8"
RED_VALUE = "c2.quiet-harbour.net"
CONTROL = "c2.other-harbour.net"  # reported by nobody: what "novel" looks like to E
FEED = f"value,first_seen,labels\n{PUBLISHED},2026-03-01T08:00:00Z,phishing\n"
ROW_KEYS = {
    "id",
    "org_id",
    "at",
    "kind",
    "points",
    "reason",
    "novelty",
    "observable_id",
    "contribution_id",
    "report_id",
}


@pytest.fixture
def world(api: Any, member: Any, hub: Any) -> dict[str, Any]:
    vendors = {name[-1]: member(name) for name in VENDORS}
    api.community("alliance", VENDORS)
    with hub.db.transaction() as conn:
        source = feeds.add(hub, conn, name="Open Phish Blog", format="csv", now=hub.clock())
        feeds.import_read(
            hub, conn, source=source, read=read_payload("csv", FEED.encode()), now=hub.clock()
        )
    return vendors


def only(body: dict[str, Any]) -> dict[str, Any]:
    (item,) = body["items"]
    return dict(item)


def test_eight_vendors_and_a_published_feed(api: Any, world: dict[str, Any], clock: Any) -> None:
    v = world
    a = api.contribute(
        v["A"], [HASH], tlp="green", communities=["alliance"], labels=["malware:emotet"]
    )
    assert only(a) | {"input": None} == {
        "input": None,
        "type": "sha256",
        "value": HASH,
        "outcome": "new",
        "novelty": "novel",
        "points": 12.5,
    }
    clock.advance(hours=2)
    b = api.contribute(
        v["B"],
        [HASH],
        tlp="green",
        communities=["alliance"],
        labels=["malware:emotet", "attack:T1071"],
    )
    assert (only(b)["outcome"], only(b)["novelty"], only(b)["points"]) == (
        "known",
        "corroborating",
        2.5,
    )
    c = api.contribute(v["C"], [PUBLISHED], tlp="green", labels=["phishing"])
    assert (only(c)["outcome"], only(c)["novelty"], only(c)["points"]) == ("known", "published", 0)
    d = api.contribute(v["D"], [RESOLVER], tlp="green", labels=["c2"])
    assert (only(d)["outcome"], only(d)["novelty"], only(d)["points"]) == ("new", "benign", 0)
    api.contribute(v["A"], [RED_VALUE], tlp="red", share_with=["Vendor F"], labels=["c2"])
    clock.advance(hours=1)
    e = api.contribute(v["E"], [RED_VALUE], tlp="amber", labels=["c2"])
    control = api.contribute(v["G"], [CONTROL], tlp="amber", labels=["c2"])
    assert _without_value(only(e)) == _without_value(only(control))
    assert (only(e)["outcome"], only(e)["novelty"], only(e)["points"]) == ("new", "novel", 10.0)
    f = api.contribute(v["F"], [RED_VALUE], tlp="amber", labels=["c2"])
    assert (only(f)["outcome"], only(f)["novelty"], only(f)["points"]) == (
        "known",
        "corroborating",
        0,
    )

    expected = {
        "A": [
            ("novel", 12.5, "novel malware hash: 10 x (1 + 0.25 x 1 [malware family])"),
            ("novel", 10.0, "novel C2: 8 x (1 + 0.25 x 1 [kill-chain role])"),
        ],
        "B": [
            (
                "corroborating",
                2.5,
                "corroborating malware hash with new context: 10 x 0.25 x 1 [ATT&CK ids]",
            )
        ],
        "C": [("published", 0.0, "published: already in a published source")],
        "D": [("benign", 0.0, "benign: on the warninglist public-dns-v4")],
        "E": [("novel", 10.0, "novel C2: 8 x (1 + 0.25 x 1 [kill-chain role])")],
        "F": [("corroborating", 0.0, "corroborating C2 without new context")],
        "G": [("novel", 10.0, "novel C2: 8 x (1 + 0.25 x 1 [kill-chain role])")],
        "H": [],
    }
    for letter, rows in expected.items():
        got = ledger(api, v[letter])
        assert [(r["novelty"], r["points"], r["reason"]) for r in got] == rows, letter
        assert all(set(r) == ROW_KEYS and r["org_id"] == v[letter].org_id for r in got)
        assert all(r["kind"] == "contribution" for r in got)
    everything = ledger(api, api.admin)
    assert len(everything) == sum(len(rows) for rows in expected.values())


def test_e_learns_nothing_of_the_red_report(
    api: Any, world: dict[str, Any], clock: Any, hub: Any
) -> None:
    v = world
    api.contribute(v["A"], [RED_VALUE], tlp="red", share_with=["Vendor F"], labels=["c2"])
    e = api.contribute(v["E"], [RED_VALUE], tlp="amber", labels=["c2"])
    assert api.sees(v["E"], [("domain", RED_VALUE)]) == {RED_VALUE}  # its own report
    view = api.lookup(v["E"], "domain", RED_VALUE).json()
    assert {r["org"] for r in view["reports"]} == {"Vendor E"}
    rows = ledger(api, v["E"])
    text = repr(e) + repr(rows)
    assert "Vendor A" not in text and "red" not in text.lower()
    # The hub's internal ledger keeps the true order.
    with hub.db.read() as conn:
        true = conn.execute(
            select(alliance_ledger.c.shown_class, alliance_ledger.c.true_class).where(
                alliance_ledger.c.org_id == v["E"].org_id
            )
        ).all()
    assert [tuple(row) for row in true] == [("novel", "corroborating")]


def test_members_read_only_their_own_ledger(api: Any, world: dict[str, Any]) -> None:
    v = world
    api.contribute(v["A"], [HASH], tlp="green", labels=["malware:emotet"])
    response = api.client.get(
        "/api/v1/alliance/ledger", params={"org_id": v["A"].org_id}, headers=v["B"].auth
    )
    assert response.status_code == 403
    assert ledger(api, v["B"]) == []
    assert [r["org_id"] for r in ledger(api, api.admin, org_id=v["A"].org_id)] == [v["A"].org_id]


def _without_value(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("input", "value")}
