"""Compliance: a scripted week of versions and receipts, against hand-computed figures.

The clock is pinned; each step moves it to a wall-clock time and acts. Figures for Acme at
Sunday 06:00 with the 24 h SLA, by hand (items added per version, delay to first receipt
for that version or a later one):

=========  ==========  =====  ============================  =========
channel    version     items  deployed (delay)              verdict
=========  ==========  =====  ============================  =========
ips        1 Mon 12h   2      Mon 14h (2 h)                 on time
ips        2 Tue 12h   3      Tue 13h (1 h)                 on time
ips        3 Wed 12h   1      by v4's receipt Thu 20h (32h)  late
ips        4 Thu 12h   2      Thu 20h (8 h)                 on time
ips        5 Sat 12h   1      not yet, 18 h old             pending
domains    1 Mon 12h   2      Tue 18h (30 h)                late
domains    2 Fri 12h   2      not yet, 42 h old             late
=========  ==========  =====  ============================  =========

delivered 13, on time 7, late 5, pending 1, share 7/12; deployed delays (item-weighted)
1,1,1,2,2,8,8,30,30,32 h: median (2 h + 8 h) / 2 = 5 h; stale: "domains" (v2, 42 h).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from phalanx.channels.compliance import (
    Consequence,
    MemberCompliance,
    Policy,
    ReceiptFact,
    VersionFact,
    downgrades_tier,
    evaluate_member,
    is_compliant,
    status,
    weighted_median,
)
from phalanx.clock import format_timestamp

from .conftest import Deploy

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
IPS = [f"45.77.10.{i}" for i in range(1, 10)]
DOMAINS = ["evil-phx.xyz", "bad-phx.top"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


class Week:
    """The scripted week, step by step."""

    def __init__(self, deploy: Deploy, member: Any, clock: Any) -> None:
        self.deploy, self.clock = deploy, clock
        self.acme, self.bravo = member("Acme"), member("Bravo")
        self.carol = member("Carol")
        self.auditor = member("Audit Office", role="auditor")
        self.keys = {m.name: deploy.register_key(m) for m in (self.acme, self.bravo)}
        self.ips = deploy.channel(self.acme, "edl-ip", name="ips")["id"]
        self.domains = deploy.channel(self.acme, "edl-domain", name="domains")["id"]
        self.lookups = deploy.channel(self.bravo, "csv", name="lookups")["id"]
        self.digests: dict[tuple[int, int], str] = {}

    def go(self, day: int, hour: int, minute: int = 0) -> None:
        self.clock.moment = at(day, hour, minute)

    def share(self, ips: list[str] = (), domains: list[str] = ()) -> None:  # type: ignore[assignment]
        items = [{"type": "ipv4", "value": v} for v in ips]
        items += [{"type": "domain", "value": v} for v in domains]
        self.deploy.contribute(self.acme, items)

    def fetch(self, member: Any, channel: int, expect_version: int) -> None:
        response = self.deploy.ok_feed(member, channel)
        version = int(response.headers["X-Phalanx-Channel-Version"])
        assert version == expect_version
        self.digests[(channel, version)] = response.headers["X-Phalanx-Content-Digest"]

    def deployed(self, member: Any, channel: int, version: int) -> None:
        key, key_id = self.keys[member.name]
        response = self.deploy.receipt(
            member,
            channel,
            key=key,
            key_id=key_id,
            version=version,
            digest=self.digests[(channel, version)],
            deployed_at=format_timestamp(self.clock()),
        )
        assert response.status_code == 201, response.text

    def run(self) -> None:
        self.go(0, 12)
        self.share(IPS[:2], DOMAINS[:1])
        self.fetch(self.acme, self.ips, 1)
        self.fetch(self.acme, self.domains, 1)
        self.fetch(self.bravo, self.lookups, 1)
        self.go(0, 12, 30)
        self.deployed(self.bravo, self.lookups, 1)
        self.go(0, 14)
        self.deployed(self.acme, self.ips, 1)
        self.go(1, 12)
        self.share(IPS[2:5])
        self.fetch(self.acme, self.ips, 2)
        self.go(1, 13)
        self.deployed(self.acme, self.ips, 2)
        self.go(1, 18)
        self.deployed(self.acme, self.domains, 1)
        self.go(2, 12)
        self.share(IPS[5:6])
        self.fetch(self.acme, self.ips, 3)
        self.go(3, 12)
        self.share(IPS[6:8])
        self.fetch(self.acme, self.ips, 4)
        self.go(3, 20)
        self.deployed(self.acme, self.ips, 4)
        self.go(4, 12)
        self.share(domains=DOMAINS[1:])
        self.fetch(self.acme, self.domains, 2)
        self.go(5, 12)
        self.share(IPS[8:9])
        self.fetch(self.acme, self.ips, 5)
        self.go(6, 6)

    def table(self, caller: Any, **params: Any) -> Any:
        response = self.deploy.client.get(
            "/api/v1/alliance/compliance", params=params, headers=caller.auth
        )
        assert response.status_code == 200, response.text
        return response


@pytest.fixture
def week(deploy: Deploy, member: Any, clock: Any) -> Week:
    clock.moment = at(0, 9)
    scripted = Week(deploy, member, clock)
    scripted.run()
    return scripted


ACME = {
    "org": "Acme",
    "channels": 2,
    "delivered_items": 13,
    "on_time_items": 7,
    "late_items": 5,
    "pending_items": 1,
    "on_time_share": round(7 / 12, 6),
    "median_delay_seconds": 5 * 3600.0,
    "compliant": False,
    "action": "report",
}
BRAVO = {
    "org": "Bravo",
    "channels": 1,
    "delivered_items": 3,  # two IPs and a domain, one CSV row each
    "on_time_items": 3,
    "late_items": 0,
    "pending_items": 0,
    "on_time_share": 1.0,
    "median_delay_seconds": 1800.0,
    "stale_channels": [],
    "compliant": True,
    "action": "none",
}
CAROL = {
    "org": "Carol",
    "channels": 0,
    "delivered_items": 0,
    "on_time_items": 0,
    "late_items": 0,
    "pending_items": 0,
    "on_time_share": None,
    "median_delay_seconds": None,
    "stale_channels": [],
    "compliant": False,  # no channel: it loads nothing it receives
    "action": "report",
}


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["org"]: row for row in document["members"]}


def test_scripted_week_matches_hand_computed_figures(week: Week) -> None:
    document = week.table(week.deploy.admin).json()
    assert (document["sla_hours"], document["consequence"]) == (24.0, "report")
    assert document["evaluated_at"] == "2026-11-29T06:00:00.000000Z"
    found = rows(document)
    acme = dict(found["Acme"])
    stale = acme.pop("stale_channels")
    assert acme == ACME
    assert stale == [
        {"id": week.domains, "name": "domains", "version": 2, "waiting_seconds": 42 * 3600.0}
    ]
    assert found["Bravo"] == BRAVO
    assert found["Carol"] == CAROL


def test_csv_carries_the_same_rows(week: Week) -> None:
    response = week.table(week.deploy.admin, format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    parsed = {row["org"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert parsed["Acme"]["on_time_share"] == str(round(7 / 12, 6))
    assert parsed["Acme"]["stale_channels"] == f"{week.domains}:domains"
    assert parsed["Acme"]["median_delay_seconds"] == "18000.0"
    assert parsed["Carol"]["on_time_share"] == "" and parsed["Carol"]["compliant"] == "false"
    accept = week.deploy.client.get(
        "/api/v1/alliance/compliance",
        headers={**week.deploy.admin.auth, "Accept": "text/csv"},
    )
    assert accept.text == response.text


def test_members_see_their_own_row_admins_and_auditors_all(week: Week) -> None:
    assert [r["org"] for r in week.table(week.acme).json()["members"]] == ["Acme"]
    assert [r["org"] for r in week.table(week.carol).json()["members"]] == ["Carol"]
    everyone = {r["org"] for r in week.table(week.auditor).json()["members"]}
    assert {"Acme", "Bravo", "Carol", "Audit Office", "Hub Ops"} == everyone


def test_a_longer_sla_and_the_configured_consequence(week: Week, hub: Any) -> None:
    relaxed = rows(week.table(week.acme, sla_hours=48).json())["Acme"]
    # v3 (32 h) and domains v1 (30 h) are now on time; domains v2 (42 h) is still pending.
    assert (relaxed["on_time_items"], relaxed["late_items"], relaxed["pending_items"]) == (
        10,
        0,
        3,
    )
    assert relaxed["stale_channels"] == [] and relaxed["compliant"] is True
    hub.settings = hub.settings.with_(compliance_consequence="downgrade")
    assert rows(week.table(week.acme).json())["Acme"]["action"] == "downgrade"
    assert rows(week.table(week.bravo).json())["Bravo"]["action"] == "none"


def test_window_and_bad_parameters(week: Week) -> None:
    # Only Saturday's version falls in this window: one pending item.
    saturday = rows(
        week.table(week.acme, since="2026-11-28T00:00:00Z", until="2026-11-29T00:00:00Z").json()
    )["Acme"]
    assert (saturday["delivered_items"], saturday["pending_items"]) == (1, 1)
    for params, field in (
        ({"sla_hours": 0}, "sla_hours"),
        ({"since": "monday"}, "since"),
        ({"since": "2026-11-29T00:00:00Z", "until": "2026-11-28T00:00:00Z"}, "from"),
        ({"format": "xml"}, "format"),
    ):
        response = week.deploy.client.get(
            "/api/v1/alliance/compliance", params=params, headers=week.acme.auth
        )
        assert response.status_code == 422 and response.json()["field"] == field


# -- the pure rules ------------------------------------------------------------------------


def test_weighted_median() -> None:
    hour = timedelta(hours=1)
    assert weighted_median([]) is None
    assert weighted_median([(hour, 1)]) == hour
    assert weighted_median([(hour, 1), (3 * hour, 1)]) == 2 * hour
    assert weighted_median([(hour, 3), (9 * hour, 1)]) == hour
    assert weighted_median([(5 * hour, 2), (hour, 2)]) == 3 * hour


def test_is_compliant_and_status_follow_the_policy() -> None:
    good = MemberCompliance("A", 1, 10, 9, 1, 0, timedelta(hours=1))
    assert good.on_time_share == 0.9 and is_compliant(good)
    assert not is_compliant(good, min_share=0.95)
    idle = MemberCompliance("B", 1, 0, 0, 0, 0, None)
    assert idle.on_time_share is None and is_compliant(idle)
    none = MemberCompliance("C", 0, 0, 0, 0, 0, None)
    assert not is_compliant(none)
    for consequence in Consequence:
        policy = Policy(consequence=consequence, min_share=0.95)
        assert status(good, policy) == consequence.value
        assert status(idle, policy) == "none"
        assert downgrades_tier(good, policy) is (consequence is Consequence.DOWNGRADE)


def test_a_receipt_before_a_version_was_minted_does_not_deploy_it() -> None:
    minted = at(1, 0)
    row = evaluate_member(
        "A",
        channels={1: "c"},
        versions=[VersionFact(1, 2, minted, 4)],
        receipts=[ReceiptFact(1, 3, minted - timedelta(hours=1))],
        start=at(0, 0),
        end=at(7, 0),
        now=at(1, 12),
    )
    assert (row.on_time_items, row.pending_items) == (0, 4)
