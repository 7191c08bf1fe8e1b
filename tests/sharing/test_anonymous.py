"""Anonymous attribution: the contributor is hidden on every read path.

Single lookup, bulk lookup, listing, CSV and STIX export (whose ``created_by_ref`` becomes
the hub's identity) show no organisation for an anonymous report; its own organisation still
sees its name; hub admins see it only when ``admins_see_anonymous`` is configured; and
``/policy/explain`` does not single the contributor out either.
"""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from phalanx.export.stix import hub_uuid
from phalanx.formats.stix21.identities import identity_id

SECRET = ("domain", "anonymous-tip.example")
SHARED = ("ipv4", "198.51.100.77")  # reported anonymously by Source and openly by Named


@pytest.fixture
def anon(api, member):
    source = member("Source Vendor")
    named = member("Named Vendor")
    reader = member("Reader Org", role="reader")
    api.contribute(source, [SECRET[1], SHARED[1]], tlp="green", anonymous=True)
    api.contribute(named, [SHARED[1]], tlp="green")
    return source, named, reader


def _orgs_in_views(api, viewer):
    single = api.lookup(viewer, *SECRET).json()
    bulk = api.client.post(
        "/api/v1/lookup",
        content=orjson.dumps({"values": [SECRET[1], SHARED[1]]}),
        headers=viewer.auth,
    ).json()
    listing = api.client.get("/api/v1/observables", headers=viewer.auth).json()
    views = [single, *bulk["matches"], *listing["items"]]
    return [(view["value"], report["org"]) for view in views for report in view["reports"]]


def _csv_orgs(api, viewer):
    text = api.client.get("/api/v1/export", params={"format": "csv"}, headers=viewer.auth).text
    return sorted((row["value"], row["org"]) for row in csv.DictReader(io.StringIO(text)))


def _stix(api, viewer):
    response = api.client.get("/api/v1/export", params={"format": "stix"}, headers=viewer.auth)
    assert response.status_code == 200
    return response.json()["objects"]


def test_contributor_is_hidden_from_other_members(api, anon, hub):
    _source, named, reader = anon
    for viewer in (named, reader, api.admin):
        orgs = _orgs_in_views(api, viewer)
        assert (SECRET[1], None) in orgs
        assert "Source Vendor" not in {org for _value, org in orgs}
        # The open report of the shared value keeps its contributor.
        assert (SHARED[1], "Named Vendor") in orgs
        assert _csv_orgs(api, viewer) == [
            (SHARED[1], ""),
            (SHARED[1], "Named Vendor"),
            (SECRET[1], ""),
        ]


def test_stix_export_credits_the_hub_for_anonymous_reports(api, anon, hub):
    _source, named, _reader = anon
    objects = _stix(api, named)
    hub_ref = identity_id(hub_uuid(hub.settings.hub_name))
    identities = {o["id"]: o["name"] for o in objects if o["type"] == "identity"}
    assert "Source Vendor" not in identities.values()
    assert identities[hub_ref] == hub.settings.hub_name
    by_value = {}
    for indicator in (o for o in objects if o["type"] == "indicator"):
        by_value.setdefault(indicator["name"].split(" ", 1)[1], []).append(
            indicator["created_by_ref"]
        )
    assert by_value[SECRET[1]] == [hub_ref]
    assert sorted(by_value[SHARED[1]]) == sorted(
        [hub_ref, next(i for i, name in identities.items() if name == "Named Vendor")]
    )
    assert "Source Vendor" not in orjson.dumps(objects).decode()


def test_the_contributor_sees_its_own_name(api, anon):
    source, _named, _reader = anon
    orgs = _orgs_in_views(api, source)
    assert (SECRET[1], "Source Vendor") in orgs


def test_hub_admins_see_it_only_when_configured(api, anon, hub):
    assert "Source Vendor" not in {org for _v, org in _orgs_in_views(api, api.admin)}
    hub.settings = hub.settings.with_(admins_see_anonymous=True)
    assert (SECRET[1], "Source Vendor") in _orgs_in_views(api, api.admin)
    assert (SECRET[1], "Source Vendor") in _csv_orgs(api, api.admin)
    # Other members still do not.
    _source, named, _reader = anon
    assert "Source Vendor" not in {org for _v, org in _orgs_in_views(api, named)}


def test_explain_does_not_single_out_the_anonymous_contributor(api, anon, member):
    source, _named, _reader = anon
    member("Bystander")
    (report_id,) = api.report_ids(source, SECRET[1], SECRET[0])
    answers = {}
    for org in ("Source Vendor", "Named Vendor", "Bystander"):
        answer = api.explain(org, report_id).json()
        answers[org] = {k: v for k, v in answer.items() if k != "org"}
    assert answers["Source Vendor"] == answers["Named Vendor"] == answers["Bystander"]
    assert answers["Bystander"]["rule"] == "tlp-green"


def test_explain_names_the_own_rule_when_admins_may_see_anonymous(api, anon, hub):
    source, *_ = anon
    hub.settings = hub.settings.with_(admins_see_anonymous=True)
    (report_id,) = api.report_ids(source, SECRET[1], SECRET[0])
    assert api.explain("Source Vendor", report_id).json()["rule"] == "own"
