"""Withdrawing reports: revoked indicators, deleted TAXII objects, REST DELETE (each engine)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from phalanx.hub import Hub
from phalanx.store import reports as report_store
from phalanx.store.tables import audit_events, reports

from ..conftest import Member, add_member
from .test_protocol import OBJECTS, add, headers
from .test_taxii2_client import indicator

VALUE = "/api/v1/observables/ipv4/45.0.1.7"  # indicator(1)'s address


def revoked(n: int, **changes: Any) -> dict[str, Any]:
    return {**indicator(n, modified="2026-02-01T00:00:00.000Z"), "revoked": True, **changes}


def orgs_reporting(client: TestClient, member: Member, path: str = VALUE) -> list[str]:
    found = client.get(path, headers=member.auth)
    if found.status_code == 404:
        return []
    assert found.status_code == 200, found.text
    return sorted(report["org"] for report in found.json()["reports"])


def same_404(response: Any, value: str, unknown: Any, never: str) -> bool:
    """A 404 exactly as for a value never seen (but for the value named)."""
    body = unknown.json()
    return bool(
        response.status_code == unknown.status_code == 404
        and response.json() == {**body, "detail": body["detail"].replace(never, value)}
        and len(response.content) == len(unknown.content)
    )


def withdrawals(hub: Hub) -> list[dict[str, Any]]:
    with hub.db.read() as conn:
        rows = conn.execute(
            select(audit_events.c.subject, audit_events.c.details).where(
                audit_events.c.action == "reports.withdraw"
            )
        ).all()
    return [{"subject": subject, "details": details} for subject, details in rows]


def test_a_revoked_indicator_withdraws_its_organisations_report_only(
    hub: Hub, client: TestClient
) -> None:
    author, other, reader = (add_member(hub, n) for n in ("Author", "Other", "Reader"))
    add(client, author, [indicator(1)])
    add(client, other, [indicator(1)])  # the same id and value, another organisation's copy
    assert orgs_reporting(client, reader) == ["Author", "Other"]

    status = add(client, author, [revoked(1)])

    assert status["successes"][0]["message"] == "revoked: 1 report(s) withdrawn"
    assert orgs_reporting(client, reader) == ["Other"]
    assert orgs_reporting(client, author) == ["Other"]
    # The revoked version is stored and served as the object's latest, as TAXII requires.
    latest = client.get(f"{OBJECTS}{indicator(1)['id']}/", headers=headers(author)).json()
    assert sorted((o["modified"], o.get("revoked", False)) for o in latest["objects"]) == [
        ("2026-01-01T00:00:00.000Z", False),  # the other organisation's copy
        ("2026-02-01T00:00:00.000Z", True),
    ]
    [entry] = withdrawals(hub)
    assert entry["subject"] == indicator(1)["id"]
    assert '"why":"revoked"' in entry["details"].replace(" ", "")


def test_revoking_what_was_never_reported_withdraws_nothing(hub: Hub, client: TestClient) -> None:
    author = add_member(hub, "Author")
    status = add(client, author, [revoked(1)])
    assert status["successes"][0]["message"] == "revoked"
    assert orgs_reporting(client, author) == []
    assert withdrawals(hub) == []


def test_a_value_another_object_of_the_envelope_reports_is_kept(
    hub: Hub, client: TestClient
) -> None:
    author = add_member(hub, "Author")
    add(client, author, [indicator(1)])
    again = {**indicator(9), "pattern": indicator(1)["pattern"]}  # same address, new object
    status = add(client, author, [revoked(1), again])
    assert status["successes"][0]["message"] == "revoked"
    assert orgs_reporting(client, author) == ["Author"]


def test_deleting_an_object_withdraws_what_it_reported(hub: Hub, client: TestClient) -> None:
    author, reader = add_member(hub, "Author"), add_member(hub, "Reader")
    add(client, author, [indicator(1)])
    unknown = client.get("/api/v1/observables/ipv4/45.0.9.7", headers=reader.auth)

    gone = client.delete(f"{OBJECTS}{indicator(1)['id']}/", headers=headers(author))

    assert gone.status_code == 200, gone.text
    after = client.get(VALUE, headers=reader.auth)
    assert after.status_code == unknown.status_code == 404
    assert same_404(after, "45.0.1.7", unknown, "45.0.9.7")
    [entry] = withdrawals(hub)
    assert '"why":"deleted"' in entry["details"].replace(" ", "")


def corrected(n: int, address: str, modified: str = "2026-03-01T00:00:00.000Z") -> dict[str, Any]:
    """A later version of indicator(n) whose pattern names another address."""
    return {**indicator(n, modified=modified), "pattern": f"[ipv4-addr:value = '{address}']"}


OTHER_VALUE = "/api/v1/observables/ipv4/45.0.2.7"


def test_a_new_version_withdraws_what_only_its_earlier_versions_reported(
    hub: Hub, client: TestClient
) -> None:
    author, other = add_member(hub, "Author"), add_member(hub, "Other")
    add(client, author, [indicator(1)])
    add(client, other, [indicator(1)])  # another organisation's copy of the same object

    status = add(client, author, [corrected(1, "45.0.2.7")])

    message = status["successes"][0]["message"]
    assert message == "superseded: 1 report(s) of earlier versions withdrawn"
    assert orgs_reporting(client, author) == ["Other"]
    assert orgs_reporting(client, author, OTHER_VALUE) == ["Author"]
    [entry] = withdrawals(hub)
    assert entry["subject"] == indicator(1)["id"]
    assert '"why":"superseded"' in entry["details"].replace(" ", "")


def test_a_new_version_that_keeps_its_pattern_withdraws_nothing(
    hub: Hub, client: TestClient
) -> None:
    author = add_member(hub, "Author")
    add(client, author, [indicator(1)])
    later = {**indicator(1, modified="2026-03-01T00:00:00.000Z"), "confidence": 90}

    status = add(client, author, [later])

    assert "message" not in status["successes"][0]
    assert orgs_reporting(client, author) == ["Author"]
    assert withdrawals(hub) == []


def test_only_the_newest_version_speaks_for_an_object(hub: Hub, client: TestClient) -> None:
    author = add_member(hub, "Author")
    # Two versions in one envelope, the older one last: the newer one is what is reported.
    status = add(client, author, [corrected(1, "45.0.2.7"), indicator(1)])
    assert status["successes"][1]["message"] == (
        "no report: a later version of this object is stored"
    )
    assert orgs_reporting(client, author) == []
    assert orgs_reporting(client, author, OTHER_VALUE) == ["Author"]
    # An older version sent on its own, later, changes nothing either.
    late = add(client, author, [corrected(1, "45.0.3.7", modified="2026-02-01T00:00:00.000Z")])
    assert late["successes"][0]["message"] == "no report: a later version of this object is stored"
    assert orgs_reporting(client, author, "/api/v1/observables/ipv4/45.0.3.7") == []
    assert orgs_reporting(client, author, OTHER_VALUE) == ["Author"]


def test_deleting_the_newest_version_withdraws_it_and_a_resend_restores_the_older(
    hub: Hub, client: TestClient
) -> None:
    author = add_member(hub, "Author")
    first, second = indicator(1), corrected(1, "45.0.2.7")
    add(client, author, [first])
    add(client, author, [second])
    assert orgs_reporting(client, author) == []  # superseded by the second version
    assert orgs_reporting(client, author, OTHER_VALUE) == ["Author"]

    gone = client.delete(
        f"{OBJECTS}{first['id']}/",
        params={"match[version]": second["modified"]},
        headers=headers(author),
    )

    assert gone.status_code == 200, gone.text
    assert orgs_reporting(client, author, OTHER_VALUE) == []
    # The first version is the newest again; sending it again makes it speak again.
    again = add(client, author, [first])
    assert again["successes"][0]["message"] == "already stored"
    assert orgs_reporting(client, author) == ["Author"]


def test_another_organisation_cannot_delete_and_so_cannot_withdraw(
    hub: Hub, client: TestClient
) -> None:
    author, other = add_member(hub, "Author"), add_member(hub, "Other")
    add(client, author, [indicator(1)])
    refused = client.delete(f"{OBJECTS}{indicator(1)['id']}/", headers=headers(other))
    assert refused.status_code == 403
    assert orgs_reporting(client, other) == ["Author"]


def test_rest_delete_withdraws_the_callers_reports_of_a_value(hub: Hub, client: TestClient) -> None:
    author, other = add_member(hub, "Author"), add_member(hub, "Other")
    reader = add_member(hub, "Reader", role="reader")
    for member in (author, other):
        sent = client.post(
            "/api/v1/contributions",
            json={"items": [{"value": "45.0.1.7", "tlp": "green"}]},
            headers=member.auth,
        )
        assert sent.status_code == 201, sent.text

    assert client.delete(VALUE, headers=reader.auth).status_code == 403
    gone = client.delete("/api/v1/observables/ipv4/45[.]0.1.7", headers=author.auth)

    assert gone.status_code == 204, gone.text
    assert orgs_reporting(client, reader) == ["Other"]
    # Withdrawn already, and a value only others report: both as a value never seen.
    unknown = client.delete("/api/v1/observables/ipv4/45.0.9.7", headers=author.auth)
    again = client.delete(VALUE, headers=author.auth)
    assert unknown.status_code == again.status_code == 404
    assert same_404(again, "45.0.1.7", unknown, "45.0.9.7")
    assert orgs_reporting(client, reader) == ["Other"]
    [entry] = withdrawals(hub)
    assert entry["subject"] == "ipv4:45.0.1.7"


def test_a_withdrawn_value_can_be_reported_again_without_earning_twice(
    hub: Hub, client: TestClient
) -> None:
    author = add_member(hub, "Author")

    def contribute() -> dict[str, Any]:
        sent = client.post(
            "/api/v1/contributions",
            json={"items": [{"value": "45.0.1.7", "tlp": "green", "labels": ["c2"]}]},
            headers=author.auth,
        )
        assert sent.status_code == 201, sent.text
        body: dict[str, Any] = sent.json()
        return body

    first = contribute()
    assert first["items"][0]["outcome"] == "new" and first["points"] > 0
    assert client.delete(VALUE, headers=author.auth).status_code == 204
    again = contribute()
    assert again["items"][0]["outcome"] == "new"
    assert again["points"] == 0
    assert orgs_reporting(client, author) == ["Author"]


def test_the_store_withdraws_only_live_reports_of_the_organisation(
    hub: Hub, client: TestClient
) -> None:
    author, other = add_member(hub, "Author"), add_member(hub, "Other")
    add(client, author, [indicator(1), indicator(2)])
    add(client, other, [indicator(1)])
    with hub.db.read() as conn:
        keys = sorted(set(conn.execute(select(reports.c.observable_id)).scalars()))
    with hub.db.transaction() as conn:
        assert report_store.withdraw(conn, author.org_id, keys, at=1) == 2
    with hub.db.transaction() as conn:
        assert report_store.withdraw(conn, author.org_id, keys, at=2) == 0  # none live
    with hub.db.read() as conn:
        rows = conn.execute(select(reports.c.org_id, reports.c.revoked_at)).all()
    assert sorted((org, at) for org, at in rows) == sorted(
        [(author.org_id, 1), (author.org_id, 1), (other.org_id, None)]
    )
