"""POST /reports/{id}/forward: re-sharing follows TLP 2.0 and the agreement's onward term.

AMBER may go on to the recipient's clients; AMBER+STRICT and RED never leave their
recipients; a forwarded copy is never marked less restrictively; GREEN shared to a community
stays inside it; an agreement without onward sharing forbids any forward, and one with it
allows what the marking allows.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def orgs(api, member):
    names = ("Author", "Recipient", "Client", "Outsider")
    found = {name: member(name) for name in names}
    api.community("circle", ["Author", "Recipient", "Client"])
    api.community("wider", ["Recipient", "Outsider"])
    return found


def _share(api, orgs, value, **fields):
    api.contribute(orgs["Author"], [value], **fields)
    (report_id,) = api.report_ids(orgs["Author"], value, "domain")
    return report_id


def _forward(api, caller, report_id, **body):
    return api.client.post(f"/api/v1/reports/{report_id}/forward", json=body, headers=caller.auth)


def test_amber_may_go_on_to_a_client(api, orgs):
    report_id = _share(api, orgs, "amber.example", tlp="amber", share_with=["Recipient"])
    assert api.sees(orgs["Client"], [("domain", "amber.example")]) == set()
    response = _forward(api, orgs["Recipient"], report_id, share_with=["Client"])
    assert response.status_code == 201, response.text
    assert response.json()["tlp"] == "amber"
    assert api.sees(orgs["Client"], [("domain", "amber.example")]) == {"amber.example"}
    assert api.sees(orgs["Outsider"], [("domain", "amber.example")]) == set()
    # The copy is the forwarder's report; the original author is still named on its own.
    view = api.lookup(orgs["Client"], "domain", "amber.example").json()
    assert [r["org"] for r in view["reports"]] == ["Recipient"]


@pytest.mark.parametrize("tlp", ["amber+strict", "red"])
def test_strict_and_red_never_go_on(api, orgs, tlp):
    report_id = _share(api, orgs, "strict.example", tlp=tlp, share_with=["Recipient"])
    response = _forward(api, orgs["Recipient"], report_id, share_with=["Client"], tlp="red")
    assert response.status_code == 403 and response.json()["rule"] == "tlp-no-onward"
    assert api.sees(orgs["Client"], [("domain", "strict.example")]) == set()


def test_a_copy_is_never_less_restricted(api, orgs):
    report_id = _share(api, orgs, "downgrade.example", tlp="amber", share_with=["Recipient"])
    for tlp in ("green", "clear", "white"):
        response = _forward(api, orgs["Recipient"], report_id, tlp=tlp)
        assert response.status_code == 403 and response.json()["rule"] == "tlp-downgrade"
    assert _forward(api, orgs["Recipient"], report_id, tlp="TLP:RED").status_code == 201


def test_green_in_a_community_stays_in_it(api, orgs):
    report_id = _share(api, orgs, "green.example", tlp="green", communities=["circle"])
    outsider = orgs["Outsider"]
    # Re-marking it GREEN for everyone, or sharing it to another community or to an outsider,
    # would take it out of the community it was shared to.
    for body in ({}, {"communities": ["wider"]}, {"share_with": ["Outsider"], "tlp": "amber"}):
        response = _forward(api, orgs["Recipient"], report_id, **body)
        assert response.status_code == 403, (body, response.text)
        assert response.json()["rule"] == "community"
        assert api.sees(outsider, [("domain", "green.example")]) == set()
    # Inside the community it may travel on.
    response = _forward(api, orgs["Recipient"], report_id, communities=["circle"])
    assert response.status_code == 201, response.text
    response = _forward(api, orgs["Recipient"], report_id, tlp="amber", share_with=["Client"])
    assert response.status_code == 201, response.text
    assert api.sees(outsider, [("domain", "green.example")]) == set()


def test_green_for_everyone_may_go_anywhere_within_the_hub(api, orgs):
    report_id = _share(api, orgs, "green-all.example", tlp="green")
    response = _forward(api, orgs["Recipient"], report_id, communities=["wider"])
    assert response.status_code == 201, response.text


def test_amber_goes_to_named_clients_not_to_other_communities(api, orgs):
    report_id = _share(api, orgs, "amber4.example", tlp="amber", share_with=["Recipient"])
    response = _forward(api, orgs["Recipient"], report_id, communities=["wider"])
    assert response.status_code == 403 and response.json()["rule"] == "community"
    assert api.sees(orgs["Outsider"], [("domain", "amber4.example")]) == set()
    report_id = _share(api, orgs, "amber5.example", tlp="amber", communities=["circle"])
    assert _forward(api, orgs["Client"], report_id, communities=["circle"]).status_code == 201
    assert _forward(api, orgs["Recipient"], report_id, communities=["wider"]).status_code == 403


def test_a_bad_tlp_is_refused_naming_the_field(api, orgs):
    report_id = _share(api, orgs, "amber6.example", tlp="amber", share_with=["Recipient"])
    response = _forward(api, orgs["Recipient"], report_id, tlp="orange")
    assert response.status_code == 422 and response.json()["field"] == "tlp"


def test_forwarding_to_a_community_needs_membership(api, orgs):
    report_id = _share(api, orgs, "amber2.example", tlp="amber", share_with=["Client"])
    response = _forward(api, orgs["Client"], report_id, communities=["wider"])
    assert response.status_code == 422 and response.json()["field"] == "communities"
    response = _forward(api, orgs["Client"], report_id, share_with=["Nobody"])
    assert response.status_code == 422 and response.json()["field"] == "share_with"


def test_an_agreement_with_onward_sharing_allows_what_the_marking_allows(api, orgs):
    agreement = api.agreement(["Author", "Recipient"], ["network-defense"], onward=True)
    report_id = _share(api, orgs, "onward.example", tlp="amber", agreement=agreement, labels=["c2"])
    response = _forward(api, orgs["Recipient"], report_id, share_with=["Client"])
    assert response.status_code == 201, response.text
    assert api.sees(orgs["Client"], [("domain", "onward.example")]) == {"onward.example"}


def test_readers_cannot_forward(api, orgs, member):
    reader = member("Recipient", role="reader")
    report_id = _share(api, orgs, "amber3.example", tlp="amber", share_with=["Recipient"])
    assert _forward(api, reader, report_id, share_with=["Client"]).status_code == 403
