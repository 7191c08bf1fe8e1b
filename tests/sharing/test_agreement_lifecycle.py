"""Agreements end at once: on expiry, on revocation, and before they start.

Plans are cached per viewer, so each test reads *before* the change too: a stale plan would
keep showing the reports after the agreement ended.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from phalanx.clock import format_timestamp

VALUE = ("ipv4", "198.51.100.40")


@pytest.fixture
def pair(api, member):
    return member("Vendor"), member("Research Lab", kind="enterprise", purpose="research")


def test_expired_agreement_hides_its_reports_at_once(api, pair, clock):
    vendor, lab = pair
    until = clock() + timedelta(days=30)
    agreement = api.agreement(
        ["Vendor", "Research Lab"], ["research"], valid_until=format_timestamp(until)
    )
    api.contribute(vendor, [VALUE[1]], agreement=agreement)
    assert api.sees(lab, [VALUE]) == {VALUE[1]}
    clock.moment = until - timedelta(microseconds=1)
    assert api.sees(lab, [VALUE]) == {VALUE[1]}
    clock.moment = until
    assert api.sees(lab, [VALUE]) == set()
    assert api.sees(vendor, [VALUE]) == {VALUE[1]}  # the contributor keeps its own
    # A new item under the expired agreement is refused, naming the field; others are kept.
    outcome = api.contribute(
        vendor, [{"value": "198.51.100.41", "agreement": agreement}, "198.51.100.42"]
    )
    assert [i["outcome"] for i in outcome["items"]] == ["rejected", "new"]
    assert outcome["items"][0]["reason"] == f"agreement: agreement {agreement} is not in force"
    # As a default it is refused for the whole contribution, naming the default.
    refused = api.contribute(vendor, ["198.51.100.43"], status=422, agreement=agreement)
    assert refused["field"] == "defaults.agreement" and "not in force" in refused["detail"]


def test_revoked_agreement_hides_its_reports_at_once(api, pair):
    vendor, lab = pair
    agreement = api.agreement(["Vendor", "Research Lab"], ["research"])
    api.contribute(vendor, [VALUE[1]], agreement=agreement)
    assert api.sees(lab, [VALUE]) == {VALUE[1]}
    revoked = api.revoke(agreement)
    assert revoked["revoked_at"] is not None
    assert api.sees(lab, [VALUE]) == set()
    explained = api.explain("Research Lab", api.report_ids(vendor, VALUE[1], VALUE[0])[0])
    assert explained.json()["rule"] == "agreement-inactive"
    outcome = api.contribute(vendor, [{"value": "198.51.100.41", "agreement": agreement}])
    assert "not in force" in outcome["items"][0]["reason"]


def test_revocation_is_for_hub_admins(api, pair):
    vendor, lab = pair
    agreement = api.agreement(["Vendor", "Research Lab"], ["research"])
    for caller in (vendor, lab):
        response = api.client.post(f"/api/v1/agreements/{agreement}/revoke", headers=caller.auth)
        assert response.status_code == 403
    missing = api.client.post("/api/v1/agreements/9999/revoke", headers=api.admin.auth)
    assert missing.status_code == 404


def test_agreement_not_yet_in_force_shows_nothing_until_it_starts(api, pair, clock):
    vendor, lab = pair
    start = clock() + timedelta(days=1)
    agreement = api.agreement(
        ["Vendor", "Research Lab"], ["research"], valid_from=format_timestamp(start)
    )
    outcome = api.contribute(vendor, [{"value": VALUE[1], "agreement": agreement}])
    assert "not in force" in outcome["items"][0]["reason"]
    clock.moment = start
    api.contribute(vendor, [VALUE[1]], agreement=agreement)
    assert api.sees(lab, [VALUE]) == {VALUE[1]}


def test_parties_list_only_their_agreements(api, pair, member):
    _vendor, lab = pair
    outsider = member("Outsider")
    agreement = api.agreement(["Vendor", "Research Lab"], ["research"], name="lab deal")
    listed = api.client.get("/api/v1/agreements", headers=lab.auth).json()["agreements"]
    assert [a["id"] for a in listed] == [agreement]
    assert listed[0]["parties"] == ["Research Lab", "Vendor"]
    assert api.client.get("/api/v1/agreements", headers=outsider.auth).json() == {"agreements": []}


def test_bad_agreements_are_refused_naming_the_field(api, pair):
    for body, field in (
        ({"parties": ["Vendor"], "purposes": ["research"]}, "parties"),
        ({"parties": ["Vendor", "Research Lab"], "purposes": ["fun"]}, "purposes"),
        (
            {"parties": ["Vendor", "Research Lab"], "purposes": ["research"], "kinds": ["x"]},
            "kinds",
        ),
        (
            {
                "parties": ["Vendor", "Research Lab"],
                "purposes": ["research"],
                "jurisdictions": ["DEU"],
            },
            "jurisdictions",
        ),
        (
            {"parties": ["Vendor", "Research Lab"], "purposes": ["research"], "retention_days": 0},
            "retention_days",
        ),
    ):
        response = api.client.post("/api/v1/agreements", json=body, headers=api.admin.auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field
    unknown = api.client.post(
        "/api/v1/agreements",
        json={"parties": ["Vendor", "Nobody"], "purposes": ["research"]},
        headers=api.admin.auth,
    )
    assert unknown.status_code == 404 and "Nobody" in unknown.json()["detail"]


def test_agreement_times_without_an_offset_are_utc(api, pair, clock):
    body = {"parties": ["Vendor", "Research Lab"], "purposes": ["research"]}
    response = api.client.post(
        "/api/v1/agreements",
        json={**body, "valid_from": "2026-11-01T00:00:00", "valid_until": "2027-01-01T00:00:00"},
        headers=api.admin.auth,
    )
    assert response.status_code == 201, response.text
    assert response.json()["valid_from"] == "2026-11-01T00:00:00+00:00"
    assert response.json()["valid_until"] == "2027-01-01T00:00:00+00:00"
    response = api.client.post(
        "/api/v1/agreements",
        json={**body, "valid_from": "2026-11-01T02:00:00+02:00", "valid_until": "2026-11-01T00:00"},
        headers=api.admin.auth,
    )
    assert response.status_code == 422 and response.json()["field"] == "valid_until"
