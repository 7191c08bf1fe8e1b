"""Scenario (d): an embargoed report reaches the community exactly when its embargo ends.

Until ``embargo_until`` only the early-access organisations see it; from that very
microsecond on its normal marking applies (here: GREEN to the alliance).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from phalanx.clock import format_timestamp

VALUE = ("domain", "pre-publication.example")


@pytest.fixture
def embargo(api, member, clock):
    author = member("Vendor 1")
    early = member("Vendor 2")
    late = member("Vendor 3")
    outsider = member("Outsider")
    api.community("alliance", ["Vendor 1", "Vendor 2", "Vendor 3"])
    until = clock() + timedelta(days=3)
    outcome = api.contribute(
        author,
        [VALUE[1]],
        tlp="green",
        communities=["alliance"],
        embargo_until=format_timestamp(until),
        early_access=["Vendor 2"],
    )
    assert outcome["counts"]["new"] == 1
    return author, early, late, outsider, until


def test_only_early_access_sees_it_during_the_embargo(api, embargo):
    author, early, late, outsider, _until = embargo
    assert api.sees(author, [VALUE]) == {VALUE[1]}
    assert api.sees(early, [VALUE]) == {VALUE[1]}
    assert api.sees(late, [VALUE]) == set()
    assert api.sees(outsider, [VALUE]) == set()


def test_the_community_sees_it_exactly_when_the_embargo_ends(api, embargo, clock):
    _author, early, late, outsider, until = embargo
    clock.moment = until - timedelta(microseconds=1)
    assert api.sees(late, [VALUE]) == set()
    assert api.lookup(late, *VALUE).status_code == 404
    clock.moment = until
    assert api.sees(late, [VALUE]) == {VALUE[1]}
    assert api.sees(early, [VALUE]) == {VALUE[1]}
    assert api.sees(outsider, [VALUE]) == set()  # GREEN to the alliance, never to outsiders


def test_contribution_outcome_does_not_reveal_an_embargoed_value(api, embargo, clock):
    _author, _early, late, _outsider, until = embargo
    assert api.contribute(late, [VALUE[1]])["items"][0]["outcome"] == "new"
    clock.moment = until
    assert api.contribute(late, [VALUE[1]])["items"][0]["outcome"] == "known"


def test_early_access_outside_the_community_loses_it_when_the_embargo_ends(api, member, clock):
    author = member("Vendor 1")
    reviewer = member("Reviewer")
    api.community("alliance", ["Vendor 1"])
    until = clock() + timedelta(hours=1)
    api.contribute(
        author,
        [VALUE[1]],
        tlp="amber",
        communities=["alliance"],
        embargo_until=format_timestamp(until),
        early_access=["Reviewer"],
    )
    assert api.sees(reviewer, [VALUE]) == {VALUE[1]}
    clock.moment = until
    assert api.sees(reviewer, [VALUE]) == set()


def test_embargoed_reports_cannot_be_forwarded(api, embargo, clock):
    author, early, _late, _outsider, _until = embargo
    (report_id,) = api.report_ids(author, VALUE[1], VALUE[0])
    response = api.client.post(
        f"/api/v1/reports/{report_id}/forward",
        json={"communities": [], "tlp": "amber", "share_with": ["Outsider"]},
        headers=early.auth,
    )
    assert response.status_code == 403 and response.json()["rule"] == "embargo"


def test_explain_reports_the_embargo(api, embargo, clock):
    author, *_rest, until = embargo
    (report_id,) = api.report_ids(author, VALUE[1], VALUE[0])
    denied = api.explain("Vendor 3", report_id).json()
    assert (denied["allowed"], denied["rule"]) == (False, "embargo")
    assert api.explain("Vendor 2", report_id).json()["rule"] == "early-access"
    clock.moment = until
    assert api.explain("Vendor 3", report_id).json()["rule"] == "community"
