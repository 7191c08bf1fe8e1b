"""POST /api/v1/contributions: formats, outcomes, idempotency, limits, roles."""

from __future__ import annotations

import gc
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select

from phalanx.api import contributions as contributions_api
from phalanx.store.tables import contributions, reports

SHA = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"


def _count(hub, table):
    with hub.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _post(client, member, body, **kwargs):
    headers = {**member.auth, **kwargs.pop("headers", {})}
    if isinstance(body, dict):
        body = orjson.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    return client.post("/api/v1/contributions", content=body, headers=headers, **kwargs)


def test_json_contribution_with_defaults_and_overrides(client, member):
    acme = member("Acme")
    member("Bravo")
    response = _post(
        client,
        acme,
        {
            "defaults": {
                "tlp": "amber",
                "share_with": ["Bravo"],
                "labels": ["c2"],
                "confidence": 80,
            },
            "items": [
                {"value": "hxxp://evil[.]example/gate.php"},
                {
                    "type": "sha256",
                    "value": SHA.upper(),
                    "tlp": "green",
                    "labels": ["malware:emotet"],
                },
                {"value": "198.51.100.7", "comment": "seen beaconing"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"] == {"new": 3, "known": 0, "rejected": 0}
    items = body["items"]
    assert [i["type"] for i in items] == ["url", "sha256", "ipv4"]
    assert items[0]["value"] == "http://evil.example/gate.php"
    assert items[1]["value"] == SHA
    assert all(i["outcome"] == "new" for i in items)
    view = client.get(f"/api/v1/observables/sha256/{SHA}", headers=acme.auth).json()
    assert view["reports"][0]["tlp"] == "green"
    assert view["reports"][0]["labels"] == ["malware:emotet"]


def test_rejected_items_never_stop_valid_ones(client, member, hub):
    acme = member("Acme")
    response = _post(
        client,
        acme,
        {
            "items": [
                {"value": "198.51.100.8"},
                {"value": "10.1.2.3"},
                {"type": "md5", "value": "abc"},
                {"value": "evil.example", "tlp": "purple"},
                {"value": "evil.example", "shar_with": ["x"]},
                {"value": "evil.example", "share_with": ["Nobody Inc"]},
                {"value": "evil.example", "confidence": 101},
                {"value": 42},
                "203.0.113.9",
            ]
        },
    )
    assert response.status_code == 201
    outcomes = [(i["outcome"], i.get("reason", "")) for i in response.json()["items"]]
    assert outcomes[0][0] == "new" and outcomes[-1][0] == "new"
    rejected = outcomes[1:-1]
    assert all(o == "rejected" for o, _ in rejected)
    reasons = " | ".join(r for _, r in rejected)
    for fragment in ("RFC 1918", "md5", "tlp", "shar_with", "Nobody Inc", "confidence", "value"):
        assert fragment in reasons, fragment
    assert _count(hub, reports) == 2


def test_known_is_what_the_caller_already_sees(client, member):
    acme = member("Acme")
    first = _post(client, acme, {"items": ["198.51.100.20", "198.51.100.20"]}).json()
    assert [i["outcome"] for i in first["items"]] == ["new", "known"]
    again = _post(client, acme, {"items": ["198.51.100.20"]}).json()
    assert again["items"][0]["outcome"] == "known"


def test_idempotency_key_makes_retries_safe(client, member, hub):
    acme = member("Acme")
    body = {"items": ["198.51.100.30", "evil.example"]}
    headers = {"Idempotency-Key": "batch-0001"}
    first = _post(client, acme, body, headers=headers)
    counts = (_count(hub, reports), _count(hub, contributions))
    retry = _post(client, acme, body, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert (_count(hub, reports), _count(hub, contributions)) == counts
    other = _post(client, acme, {"items": ["198.51.100.31"]}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]


def test_idempotency_keys_are_per_organisation(client, member):
    acme, bravo = member("Acme"), member("Bravo")
    headers = {"Idempotency-Key": "same"}
    assert _post(client, acme, {"items": ["198.51.100.40"]}, headers=headers).status_code == 201
    assert _post(client, bravo, {"items": ["198.51.100.41"]}, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("content_type", "fmt", "body", "expected"),
    [
        (
            "text/plain",
            None,
            b"# comment\n198.51.100.50\nevil[.]example\n\nnot a thing\n",
            ["new", "new", "rejected"],
        ),
        (
            "text/csv",
            None,
            b"type,value,tlp,labels\nipv4,198.51.100.51,green,c2;phishing\n,evil.example,,\nmd5,zz,,\n",
            ["new", "new", "rejected"],
        ),
        ("application/octet-stream", "text", b"198.51.100.52\n", ["new"]),
        (
            "text/x-freetext",
            None,
            b"The actor used hxxps://login-verify[.]example/x and 203.0.113[.]99 as C2; "
            b"see also invoice.pdf and 10.0.0.5 internally.",
            ["new", "new", "rejected"],
        ),
    ],
)
def test_formats(client, member, content_type, fmt, body, expected):
    acme = member("Acme")
    params = {"format": fmt} if fmt else {}
    response = _post(client, acme, body, headers={"Content-Type": content_type}, params=params)
    assert response.status_code == 201, response.text
    assert [i["outcome"] for i in response.json()["items"]] == expected


def test_csv_labels_and_tlp_columns(client, member):
    acme = member("Acme")
    body = b"type,value,tlp,labels,confidence\nipv4,198.51.100.60,clear,c2;malware:qakbot,85\n"
    _post(client, acme, body, headers={"Content-Type": "text/csv"})
    view = client.get("/api/v1/observables/ipv4/198.51.100.60", headers=acme.auth).json()
    assert view["labels"] == ["c2", "malware:qakbot"] and view["confidence"] == 85
    assert view["tlp"] == "clear"


def test_query_defaults_for_non_json_formats(client, member):
    acme = member("Acme")
    response = _post(
        client,
        acme,
        b"198.51.100.61\n",
        headers={"Content-Type": "text/plain"},
        params={"tlp": "red", "labels": "c2,phishing"},
    )
    assert response.status_code == 201
    view = client.get("/api/v1/observables/ipv4/198.51.100.61", headers=acme.auth).json()
    assert view["tlp"] == "red" and view["labels"] == ["c2", "phishing"]


def test_bad_defaults_refuse_the_whole_request_with_the_field(client, member):
    acme = member("Acme")
    response = _post(client, acme, {"defaults": {"tlp": "ultra"}, "items": ["198.51.100.62"]})
    assert response.status_code == 422
    assert "defaults.tlp" in response.json()["detail"]
    response = _post(client, acme, {"defaults": {"org": "Bravo"}, "items": ["198.51.100.62"]})
    assert response.status_code == 422 and "org" in response.json()["detail"]


def test_malformed_json_and_unsupported_media_type(client, member):
    acme = member("Acme")
    bad = _post(client, acme, b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and "JSON" in bad.json()["detail"]
    odd = _post(client, acme, b"x", headers={"Content-Type": "application/x-unknown"})
    assert odd.status_code == 415 and "text/csv" in odd.json()["detail"]


def test_payload_limit_is_explicit(client, member, hub):
    acme = member("Acme")
    hub.settings = hub.settings.with_(max_payload_bytes=1_000)
    response = _post(client, acme, b"1" * 2_000, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.json()["limit"] == 1_000 and "1000 bytes" in response.json()["detail"]


def test_item_limit_is_explicit(client, member, hub):
    acme = member("Acme")
    hub.settings = hub.settings.with_(max_items_per_contribution=3)
    response = _post(client, acme, {"items": [f"198.51.100.{n}" for n in range(1, 6)]})
    assert response.status_code == 413 and response.json()["unit"] == "items"
    assert _count(hub, reports) == 0


def test_roles_are_enforced(client, member):
    reader = member("Readers Inc", role="reader")
    auditor = member("Audit Co", role="auditor")
    for who in (reader, auditor):
        response = _post(client, who, {"items": ["198.51.100.70"]})
        assert response.status_code == 403
    assert client.get("/api/v1/observables", headers=auditor.auth).status_code == 403
    assert client.get("/api/v1/observables", headers=reader.auth).status_code == 200


def test_authentication(client, member):
    acme = member("Acme")
    assert client.get("/api/v1/observables").status_code == 401
    bad = client.get("/api/v1/observables", headers={"Authorization": "Bearer phx_nope"})
    assert bad.status_code == 401 and "WWW-Authenticate" in bad.headers
    key_id, secret = acme.token.split("_", 2)[1:]
    basic = client.get("/api/v1/observables", auth=(key_id, secret))
    assert basic.status_code == 200


def test_re_reporting_refreshes_and_never_loosens_privacy(client, member, clock):
    acme, bravo = member("Acme"), member("Bravo")
    first = {"value": "evil.example", "labels": ["c2"], "comment": "seen in campaign A"}
    _post(client, acme, {"defaults": {"tlp": "green"}, "items": [first]})
    embargo = (clock.moment.replace(microsecond=0) + timedelta(days=2)).isoformat()
    again = {
        "value": "evil.example",
        "labels": ["phishing"],
        "comment": "and campaign B",
        "anonymous": True,
        "pap": "red",
        "embargo_until": embargo,
    }
    _post(client, acme, {"defaults": {"tlp": "green"}, "items": [again]})
    # The embargo now applies to the one refreshed report: others see nothing until it ends.
    path = "/api/v1/observables/domain/evil.example"
    assert client.get(path, headers=bravo.auth).status_code == 404
    _post(client, acme, {"defaults": {"tlp": "green"}, "items": ["evil.example"]})  # no embargo
    clock.advance(days=2, seconds=1)
    [report] = client.get(path, headers=bravo.auth).json()["reports"]
    assert report["labels"] == ["c2", "phishing"] and report["comment"] == "and campaign B"
    assert report["pap"] == "red" and report["org"] is None  # now anonymous


def test_a_contribution_is_prepared_with_the_collector_paused(client, member, monkeypatch):
    acme, seen = member("Acme"), []
    prepare = contributions_api.prepare

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return prepare(*args, **kwargs)

    monkeypatch.setattr(contributions_api, "prepare", spy)
    was = gc.isenabled()
    gc.enable()
    try:
        response = _post(client, acme, {"items": [{"value": "198.51.100.23"}]})
        assert response.status_code == 201
        assert seen == [False]
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
