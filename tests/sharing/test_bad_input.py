"""Bad sharing fields reject the item with a reason naming the field; other items are kept.

Unknown communities and communities the contributor is not in get one answer, and so do
missing agreements and agreements it is not party to: names and ids are no oracle.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from phalanx.clock import format_timestamp

GOOD = "198.51.100.200"


@pytest.fixture
def setup(api, member):
    acme = member("Acme")
    member("Bravo")
    member("Charlie")
    api.community("alliance", ["Acme", "Bravo"])
    api.community("elsewhere", ["Bravo", "Charlie"])
    mine = api.agreement(["Acme", "Bravo"], ["research"])
    theirs = api.agreement(["Bravo", "Charlie"], ["research"])
    return acme, mine, theirs


def _one_bad(api, acme, fields):
    good_value = f"good-{uuid.uuid4().hex[:12]}.example"
    outcome = api.contribute(acme, [{"value": "bad.example", **fields}, good_value], tlp="amber")
    bad, good = outcome["items"]
    assert bad["outcome"] == "rejected" and good["outcome"] == "new"
    assert outcome["counts"] == {"new": 1, "known": 0, "rejected": 1}
    assert api.lookup(acme, "domain", good_value).status_code == 200
    assert api.lookup(acme, "domain", "bad.example").status_code == 404
    return bad["reason"]


def test_unknown_community_and_not_a_member_read_alike(api, setup):
    acme, *_ = setup
    unknown = _one_bad(api, acme, {"communities": ["no-such-community"]})
    foreign = _one_bad(api, acme, {"communities": ["elsewhere"]})
    assert unknown.startswith("communities: ") and foreign.startswith("communities: ")
    assert unknown.replace("no-such-community", "X") == foreign.replace("elsewhere", "X")


def test_agreement_missing_or_not_a_party_read_alike(api, setup):
    acme, _mine, theirs = setup
    missing = _one_bad(api, acme, {"agreement": 9999})
    foreign = _one_bad(api, acme, {"agreement": theirs})
    assert missing.startswith("agreement: ") and foreign.startswith("agreement: ")
    assert missing.replace("9999", "N") == foreign.replace(str(theirs), "N")
    assert _one_bad(api, acme, {"agreement": "first"}).startswith("agreement: ")


def test_expired_or_revoked_agreement(api, setup, clock):
    acme, mine, _theirs = setup
    api.revoke(mine)
    assert _one_bad(api, acme, {"agreement": mine}) == (
        f"agreement: agreement {mine} is not in force"
    )
    ending = api.agreement(
        ["Acme", "Bravo"], ["research"], valid_until=format_timestamp(clock() + timedelta(days=1))
    )
    clock.advance(days=1)
    assert "not in force" in _one_bad(api, acme, {"agreement": ending})


def test_early_access_needs_an_embargo(api, setup):
    acme, *_ = setup
    reason = _one_bad(api, acme, {"early_access": ["Bravo"]})
    assert reason.startswith("early_access: ") and "embargo_until" in reason


def test_embargo_in_the_past_or_now_is_rejected(api, setup, clock):
    acme, *_ = setup
    for moment in (clock() - timedelta(seconds=1), clock()):
        reason = _one_bad(
            api, acme, {"embargo_until": format_timestamp(moment), "early_access": ["Bravo"]}
        )
        assert reason.startswith("embargo_until: ") and "past" in reason
    reason = _one_bad(api, acme, {"embargo_until": "next tuesday"})
    assert reason.startswith("embargo_until: ")


def test_unknown_early_access_or_recipient_organisation(api, setup, clock):
    acme, *_ = setup
    until = format_timestamp(clock() + timedelta(days=1))
    reason = _one_bad(api, acme, {"embargo_until": until, "early_access": ["Nobody"]})
    assert reason == "early_access: unknown organisation 'Nobody'"
    assert _one_bad(api, acme, {"share_with": ["Nobody"]}) == (
        "share_with: unknown organisation 'Nobody'"
    )


@pytest.mark.parametrize("country", ["DEU", "1A", 7])
def test_bad_victim_country(api, setup, country):
    acme, *_ = setup
    reason = _one_bad(api, acme, {"victim_country": country})
    assert reason.startswith("victim_country: ") and "ISO 3166-1" in reason


def test_unknown_or_misspelt_fields_are_refused(api, setup):
    acme, *_ = setup
    assert _one_bad(api, acme, {"shar_with": ["Bravo"]}).startswith("shar_with: ")
    assert _one_bad(api, acme, {"org": "Bravo"}).startswith("org: ")


def test_bad_defaults_refuse_the_contribution_naming_the_default(api, setup):
    acme, *_ = setup
    body = api.contribute(acme, [GOOD], status=422, communities=["elsewhere"])
    assert body["field"] == "defaults.communities"
    body = api.contribute(acme, [GOOD], status=422, early_access=["Bravo"])
    assert body["field"] == "defaults.early_access"
    assert api.lookup(acme, "ipv4", GOOD).status_code == 404  # nothing stored


def test_community_admin_api_errors_name_the_field(api, setup, member):
    acme, *_ = setup
    cases = [
        ({"name": "Bad Name!", "members": []}, 422, "name"),
        ({"name": "alliance", "members": []}, 409, "name"),
        ({"name": "new-one", "members": ["Nobody"]}, 404, None),
    ]
    for body, status, field in cases:
        response = api.client.post("/api/v1/communities", json=body, headers=api.admin.auth)
        assert response.status_code == status, response.text
        if field:
            assert response.json()["field"] == field
    assert (
        api.client.post(
            "/api/v1/communities", json={"name": "x", "members": []}, headers=acme.auth
        ).status_code
        == 403
    )
    assert api.remove_member("alliance", "Charlie").status_code == 404
    assert api.add_member("no-such", "Charlie").status_code == 404
    # A failed creation leaves nothing behind.
    names = [
        c["name"]
        for c in api.client.get("/api/v1/communities", headers=api.admin.auth).json()["communities"]
    ]
    assert names == ["alliance", "elsewhere"]


def test_two_spellings_of_one_member_make_one_membership(api, setup):
    response = api.client.post(
        "/api/v1/communities",
        json={"name": "dupes", "members": ["Acme", " Acme"], "admins": ["Acme "]},
        headers=api.admin.auth,
    )
    assert response.status_code == 201, response.text
    assert (response.json()["members"], response.json()["admins"]) == (["Acme"], ["Acme"])
