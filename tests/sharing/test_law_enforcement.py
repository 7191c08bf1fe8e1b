"""Scenario (b): a vendor shares c2 and compromised-site reports with the police.

The agreement allows the labels ``c2`` and ``compromised-site`` on network observables, the
purpose ``law-enforcement``, no onward sharing and a retention of 180 days. The police see
those reports when they read for law enforcement (the key's default purpose or the
``X-Phalanx-Purpose`` header), cannot re-share them, see nothing else of the vendor's, and
lose them after 180 days, when the retention job purges them and says so in the audit chain.
"""

from __future__ import annotations

from contextlib import contextmanager

import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from phalanx.cli import sharing as cli_sharing
from phalanx.cli.app import app as cli_app
from phalanx.hub import Hub
from phalanx.store.tables import observables, reports

SHA = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"
C2 = ("ipv4", "198.51.100.10")
SITE = ("url", "http://compromised.example/wp-admin/x.php")
OTHER_LABEL = ("domain", "phish.example")  # AMBER to the vendor's clients, not the police
HASH = ("sha256", SHA)
ALL = [C2, SITE, OTHER_LABEL, HASH]


@pytest.fixture
def police_case(api, member):
    vendor = member("Vendor", kind="vendor", country="DE")
    police = member(
        "Federal Police", kind="law_enforcement", country="DE", purpose="law-enforcement"
    )
    defender = member("Federal Police")  # the same organisation, a network-defense key
    client_org = member("Client Bank", kind="enterprise")
    agreement = api.agreement(
        ["Vendor", "Federal Police"],
        ["law-enforcement"],
        name="vendor-police",
        kinds=["ip", "domain", "url"],
        labels=["c2", "compromised-site"],
        retention_days=180,
        onward=False,
    )
    api.contribute(vendor, [C2[1]], agreement=agreement, labels=["c2"], tlp="amber")
    api.contribute(vendor, [SITE[1]], agreement=agreement, labels=["compromised-site"], tlp="amber")
    api.contribute(vendor, [OTHER_LABEL[1], SHA], tlp="amber", share_with=["Client Bank"])
    return vendor, police, defender, client_org, agreement


def test_police_see_the_agreed_reports_for_law_enforcement(api, police_case):
    _vendor, police, defender, _client, _agreement = police_case
    agreed = {C2[1], SITE[1]}
    assert api.sees(police, ALL) == agreed  # the key's default purpose
    assert api.sees(defender, ALL, purpose="law-enforcement") == agreed  # stated per read
    view = api.lookup(police, *C2).json()
    assert [r["org"] for r in view["reports"]] == ["Vendor"]
    assert view["labels"] == ["c2"]


def test_reads_for_another_purpose_see_nothing(api, police_case):
    _vendor, police, defender, _client, _agreement = police_case
    assert api.sees(defender, ALL) == set()  # network-defense key
    for purpose in ("network-defense", "research", "victim-notification"):
        assert api.sees(police, ALL, purpose=purpose) == set(), purpose


def test_an_unknown_purpose_is_refused_naming_the_header(api, police_case):
    _vendor, police, *_ = police_case
    response = api.lookup(police, *C2, purpose="curiosity")
    assert response.status_code == 422
    assert "X-Phalanx-Purpose" in response.json()["detail"]


def test_other_kinds_and_labels_stay_invisible_to_the_police(api, police_case):
    vendor, police, _defender, client_org, agreement = police_case
    assert api.sees(client_org, ALL) == {OTHER_LABEL[1], SHA}
    # A hash cannot be put under the agreement: it covers network observables only, and an
    # item without an agreed label is refused too (it would be invisible to every party).
    outcome = api.contribute(
        vendor,
        [SHA, {"value": "198.51.100.11", "labels": ["phishing"]}, "198.51.100.12"],
        agreement=agreement,
        labels=["c2"],
    )
    reasons = [item.get("reason", "") for item in outcome["items"]]
    assert outcome["counts"] == {"new": 1, "known": 0, "rejected": 2}
    assert reasons[0].startswith("agreement:") and "sha256" in reasons[0]
    assert reasons[1].startswith("labels:") and "c2" in reasons[1]
    assert api.sees(police, [*ALL, ("ipv4", "198.51.100.12")]) == {C2[1], SITE[1], "198.51.100.12"}


def test_police_cannot_reshare_or_forward(api, police_case):
    vendor, police, _defender, client_org, _agreement = police_case
    (report_id,) = api.report_ids(vendor, C2[1], C2[0])
    for body in ({"share_with": ["Client Bank"]}, {"tlp": "red"}, {}):
        response = api.client.post(
            f"/api/v1/reports/{report_id}/forward", json=body, headers=police.auth
        )
        assert response.status_code == 403, response.text
        assert response.json()["rule"] == "no-onward"
    assert api.sees(client_org, [C2]) == set()
    # An organisation that is not a party cannot even find the report to forward it.
    hidden = api.client.post(
        f"/api/v1/reports/{report_id}/forward", json={}, headers=client_org.auth
    )
    never = api.client.post("/api/v1/reports/999999/forward", json={}, headers=client_org.auth)
    assert hidden.status_code == never.status_code == 404
    assert hidden.json()["detail"].replace(str(report_id), "N") == never.json()["detail"].replace(
        "999999", "N"
    )


def test_forwarding_follows_the_stated_purpose(api, police_case):
    # The forward endpoint reads the report like any other read: with the stated purpose.
    vendor, _police, defender, _client, _agreement = police_case
    (report_id,) = api.report_ids(vendor, C2[1], C2[0])
    response = api.client.post(
        f"/api/v1/reports/{report_id}/forward",
        json={"share_with": ["Client Bank"]},
        headers={**defender.auth, "X-Phalanx-Purpose": "law-enforcement"},
    )
    assert response.status_code == 403, response.text
    assert response.json()["rule"] == "no-onward"


def test_after_retention_reports_vanish_and_the_job_purges_them(api, police_case, clock, hub):
    vendor, police, _defender, _client, _agreement = police_case
    clock.advance(days=180, microseconds=-1)
    assert api.sees(police, ALL) == {C2[1], SITE[1]}
    clock.advance(microseconds=1)  # 180 days: past retention from this very moment
    assert api.sees(police, ALL) == set()
    clock.advance(days=1)  # 181 days after the contribution
    assert api.sees(police, ALL) == set()
    # Still stored until the job runs; the contributor keeps seeing its own reports.
    assert api.sees(vendor, ALL) == {value for _kind, value in ALL}
    response = api.client.post("/api/v1/retention/run", headers=api.admin.auth)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["total"] == 2 and summary["observables"] == 2
    assert api.sees(vendor, ALL) == {OTHER_LABEL[1], SHA}
    with hub.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(observables)).scalar_one() == 2
    entries = api.client.get("/api/v1/audit", params={"limit": 1000}, headers=api.admin.auth)
    purge = [e for e in entries.json()["entries"] if e["action"] == "retention.purge"]
    assert len(purge) == 1 and orjson.loads(purge[0]["details"])["total"] == 2
    verdict = api.client.get("/api/v1/audit/verify", headers=api.admin.auth).json()
    assert verdict["ok"] is True


def test_retention_run_is_for_admins_only(api, police_case):
    vendor, police, *_ = police_case
    for caller in (vendor, police):
        response = api.client.post("/api/v1/retention/run", headers=caller.auth)
        assert response.status_code == 403


def test_cli_retention_run_purges_and_audits(api, police_case, clock, hub, monkeypatch):
    _vendor, police, *_ = police_case

    @contextmanager
    def open_test_hub(settings=None):
        opened = Hub.open(hub.settings, clock=clock)
        try:
            yield opened
        finally:
            opened.close()

    monkeypatch.setattr(cli_sharing, "open_hub", open_test_hub)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["retention", "run", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["total"] == 0
    clock.advance(days=181)
    result = runner.invoke(cli_app, ["retention", "run", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["total"] == 2
    assert api.sees(police, ALL) == set()
    entries = api.client.get("/api/v1/audit", params={"limit": 1000}, headers=api.admin.auth)
    totals = [
        orjson.loads(e["details"])["total"]
        for e in entries.json()["entries"]
        if e["action"] == "retention.purge"
    ]
    assert totals == [0, 2]
