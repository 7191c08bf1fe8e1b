"""Scenario (a): an alliance of eight vendors sharing GREEN and AMBER in a community.

GREEN shared to the community reaches its members; AMBER reaches the named organisations and
the community's members; AMBER+STRICT and RED only their named recipients; organisations
outside the community see nothing of it on any read path. Membership changes apply to past
reports at once.
"""

from __future__ import annotations

import pytest

VENDORS = [f"Vendor {n}" for n in range(1, 9)]

GREEN = ("domain", "green-alliance.example")
AMBER = ("domain", "amber-alliance.example")
AMBER_NAMED = ("domain", "amber-partner.example")
STRICT = ("domain", "strict-pair.example")
RED = ("ipv4", "203.0.113.66")
EVERYONE = ("ipv4", "203.0.113.1")  # GREEN without communities: every member
ALL = [GREEN, AMBER, AMBER_NAMED, STRICT, RED, EVERYONE]


@pytest.fixture
def alliance(api, member):
    vendors = [member(name) for name in VENDORS]
    partner = member("Partner CERT", kind="cert")
    outsider = member("Outsider Corp", kind="enterprise")
    api.community("alliance", VENDORS, description="eight vendors")
    v = vendors
    api.contribute(v[0], [GREEN[1]], tlp="green", communities=["alliance"], labels=["c2"])
    api.contribute(v[1], [AMBER[1]], tlp="amber", communities=["alliance"])
    api.contribute(v[2], [AMBER_NAMED[1]], tlp="amber", share_with=["Partner CERT"])
    api.contribute(v[3], [STRICT[1]], tlp="amber+strict", share_with=["Vendor 5"])
    api.contribute(v[5], [RED[1]], tlp="red", share_with=["Vendor 7"], communities=["alliance"])
    api.contribute(v[7], [EVERYONE[1]], tlp="green")
    return vendors, partner, outsider


def _values(*pairs):
    return {value for _kind, value in pairs}


def test_each_vendor_sees_exactly_its_share(api, alliance):
    vendors, _partner, _outsider = alliance
    expected = {
        "Vendor 1": _values(GREEN, AMBER, EVERYONE),
        "Vendor 2": _values(GREEN, AMBER, EVERYONE),
        "Vendor 3": _values(GREEN, AMBER, AMBER_NAMED, EVERYONE),
        "Vendor 4": _values(GREEN, AMBER, STRICT, EVERYONE),
        "Vendor 5": _values(GREEN, AMBER, STRICT, EVERYONE),
        "Vendor 6": _values(GREEN, AMBER, RED, EVERYONE),
        "Vendor 7": _values(GREEN, AMBER, RED, EVERYONE),
        "Vendor 8": _values(GREEN, AMBER, EVERYONE),
    }
    for vendor in vendors:
        assert api.sees(vendor, ALL) == expected[vendor.name], vendor.name


def test_outsiders_see_none_of_the_alliance_intelligence(api, alliance):
    _vendors, partner, outsider = alliance
    assert api.sees(outsider, ALL) == _values(EVERYONE)
    assert api.sees(partner, ALL) == _values(AMBER_NAMED, EVERYONE)
    assert api.sees(api.admin, ALL) == _values(EVERYONE)  # hub admins obey the policy too


def test_hidden_alliance_values_answer_like_never_seen_ones(api, alliance):
    _vendors, _partner, outsider = alliance
    hidden = api.lookup(outsider, *AMBER)
    never = api.lookup(outsider, "domain", "never-reported.example")
    assert hidden.status_code == never.status_code == 404
    assert hidden.headers["content-type"] == never.headers["content-type"]
    assert hidden.json()["detail"].replace(AMBER[1], "X") == never.json()["detail"].replace(
        "never-reported.example", "X"
    )
    # Contributing a hidden value says "new", exactly as for a never-seen value.
    outcome = api.contribute(outsider, [AMBER[1], "never-reported.example"])
    assert [i["outcome"] for i in outcome["items"]] == ["new", "new"]


def test_removing_a_member_takes_past_reports_away_at_once(api, alliance):
    vendors, _partner, _outsider = alliance
    vendor8 = vendors[7]
    assert api.sees(vendor8, [GREEN, AMBER]) == _values(GREEN, AMBER)
    assert api.remove_member("alliance", "Vendor 8").status_code == 200
    assert api.sees(vendor8, [GREEN, AMBER]) == set()
    assert api.lookup(vendor8, *GREEN).status_code == 404
    # The others keep theirs.
    assert api.sees(vendors[0], [GREEN, AMBER]) == _values(GREEN, AMBER)


def test_adding_a_member_grants_past_reports_at_once(api, alliance):
    _vendors, partner, _outsider = alliance
    assert api.sees(partner, [GREEN, AMBER]) == set()
    assert api.add_member("alliance", "Partner CERT").status_code == 200
    assert api.sees(partner, [GREEN, AMBER, STRICT, RED]) == _values(GREEN, AMBER)


def test_community_admins_manage_members_and_others_cannot(api, alliance, member):
    vendors, _partner, outsider = alliance
    api.community("pairs", ["Vendor 1"], admins=["Vendor 2"])
    # A plain member is refused; the community's admin organisation may add members.
    assert api.add_member("pairs", "Outsider Corp", caller=vendors[0]).status_code == 403
    assert api.add_member("pairs", "Outsider Corp", caller=vendors[1]).status_code == 200
    api.contribute(vendors[0], ["pairs-only.example"], tlp="amber", communities=["pairs"])
    assert api.sees(outsider, [("domain", "pairs-only.example")]) == {"pairs-only.example"}
    assert api.remove_member("pairs", "Outsider Corp", caller=vendors[1]).status_code == 200
    assert api.sees(outsider, [("domain", "pairs-only.example")]) == set()
    listed = api.client.get("/api/v1/communities", headers=outsider.auth).json()
    assert listed == {"communities": []}
