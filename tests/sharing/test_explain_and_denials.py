"""``/policy/explain`` answers admins; every denied read looks like a value that never existed.

Hidden by marking, by community, by agreement purpose, by embargo, by retention: a single
lookup answers with the very status and body of a never-seen value (up to the value echoed
in the message), and the explain endpoint tells admins which rule decided — while non-admins
get one refusal whether the report exists or not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from phalanx.clock import format_timestamp

NEVER = "never-reported.example"


@pytest.fixture
def world(api, member, clock):
    author = member("Author", country="DE")
    viewer = member("Viewer", country="FR")
    member("Police", kind="law_enforcement", country="DE")
    api.community("circle", ["Author", "Police"])
    agreement = api.agreement(["Author", "Viewer"], ["law-enforcement"], retention_days=10)
    old = api.agreement(["Author", "Viewer"], ["network-defense"], retention_days=1)
    api.contribute(author, ["expired-retention.example"], agreement=old)
    clock.advance(days=2)
    until = format_timestamp(clock() + timedelta(days=1))
    hidden = {
        "amber-not-named.example": {"tlp": "amber", "share_with": ["Police"]},
        "red-not-named.example": {"tlp": "red", "share_with": ["Police"]},
        "green-community.example": {"tlp": "green", "communities": ["circle"]},
        "agreement-purpose.example": {"agreement": agreement},
        "embargoed.example": {"tlp": "clear", "embargo_until": until, "early_access": ["Police"]},
    }
    for value, fields in hidden.items():
        api.contribute(author, [{"value": value, **fields}])
    api.contribute(author, ["visible.example"], tlp="clear")
    return author, viewer, [*hidden, "expired-retention.example"]


def _without(text: str, value: str) -> str:
    return text.replace(value, "VALUE")


def test_denied_reads_answer_exactly_like_never_existing_values(api, world):
    _author, viewer, hidden = world
    never = api.lookup(viewer, "domain", NEVER)
    assert never.status_code == 404
    for value in hidden:
        denied = api.lookup(viewer, "domain", value)
        assert denied.status_code == never.status_code, value
        assert denied.headers["content-type"] == never.headers["content-type"]
        assert _without(denied.text, value) == _without(never.text, NEVER), value
    assert api.lookup(viewer, "domain", "visible.example").status_code == 200
    assert api.sees(viewer, [("domain", v) for v in [*hidden, "visible.example"]]) == {
        "visible.example"
    }


def test_contribution_outcomes_never_distinguish_hidden_from_new(api, world):
    _author, viewer, hidden = world
    outcome = api.contribute(viewer, [*hidden, NEVER, "visible.example"])
    assert [i["outcome"] for i in outcome["items"]] == ["new"] * (len(hidden) + 1) + ["known"]
    assert all("reason" not in item for item in outcome["items"])


def test_denied_report_ids_answer_like_missing_ones(api, world):
    author, viewer, hidden = world
    report_id = api.report_ids(author, hidden[0], "domain")[0]
    for path in (f"/api/v1/reports/{report_id}/forward", "/api/v1/reports/987654/forward"):
        response = api.client.post(path, json={"tlp": "amber"}, headers=viewer.auth)
        assert response.status_code == 404
        assert response.json()["title"] == "Not found"


@pytest.mark.parametrize(
    ("value", "org", "purpose", "allowed", "rule"),
    [
        ("amber-not-named.example", "Viewer", None, False, "not-a-recipient"),
        ("amber-not-named.example", "Police", None, True, "named-recipient"),
        ("red-not-named.example", "Viewer", None, False, "not-a-recipient"),
        ("green-community.example", "Viewer", None, False, "not-a-recipient"),
        ("green-community.example", "Police", None, True, "community"),
        ("agreement-purpose.example", "Viewer", None, False, "purpose"),
        ("agreement-purpose.example", "Viewer", "law-enforcement", True, "agreement"),
        ("agreement-purpose.example", "Police", "law-enforcement", False, "not-a-party"),
        ("embargoed.example", "Viewer", None, False, "embargo"),
        ("embargoed.example", "Police", None, True, "early-access"),
        ("expired-retention.example", "Viewer", None, False, "retention"),
        ("visible.example", "Viewer", None, True, "tlp-clear"),
        ("visible.example", "Author", None, True, "own"),
    ],
)
def test_explain_says_which_rule_decided(api, world, value, org, purpose, allowed, rule):
    author, _viewer, _hidden = world
    (report_id,) = api.report_ids(author, value, "domain")
    params = {"purpose": purpose} if purpose else {}
    response = api.explain(org, report_id, **params)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["allowed"], answer["rule"]) == (allowed, rule), answer
    assert answer["org"] == org and answer["report"] == report_id and answer["reason"]
    assert answer["purpose"] == (purpose or "network-defense")


def test_explain_is_for_admins_and_hides_existence_from_others(api, world):
    author, viewer, hidden = world
    (report_id,) = api.report_ids(author, hidden[0], "domain")
    for caller in (author, viewer):
        existing = api.explain("Viewer", report_id, caller=caller)
        missing = api.explain("Viewer", 987654, caller=caller)
        assert existing.status_code == missing.status_code == 403
        assert existing.json() == missing.json()
        assert hidden[0] not in existing.text
    assert api.explain("Viewer", 987654).status_code == 404
    assert api.explain("Nobody", report_id).status_code == 404


def test_explain_refuses_an_unknown_purpose(api, world):
    author, _viewer, hidden = world
    (report_id,) = api.report_ids(author, hidden[0], "domain")
    response = api.explain("Viewer", report_id, purpose="curiosity")
    assert response.status_code == 422 and response.json()["field"] == "purpose"


def test_explain_agrees_with_what_the_org_reads(api, world, member):
    # The answers for an organisation's default purpose match what its key actually sees.
    author, viewer, hidden = world
    police = member("Police")
    for reader, name in ((viewer, "Viewer"), (police, "Police")):
        seen = api.sees(reader, [("domain", v) for v in hidden])
        for value in hidden:
            (report_id,) = api.report_ids(author, value, "domain")
            assert api.explain(name, report_id).json()["allowed"] == (value in seen), value
