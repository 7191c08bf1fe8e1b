"""A newer copy of a MISP event withdraws what it no longer names (misp/sync.py), each engine."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from phalanx.hub import Hub
from phalanx.misp.sync import read_import
from phalanx.store.tables import audit_events

from .test_import_samples import post_misp


def orgs_reporting(client: TestClient, member: Any, path: str) -> list[str]:
    found = client.get(path, headers=member.auth)
    if found.status_code == 404:
        return []
    assert found.status_code == 200, found.text
    return sorted(report["org"] for report in found.json()["reports"])


EVENT = "5b7d3e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
OTHER_EVENT = "6c8e4f8b-2d3e-4f60-9bac-1d2e3f4a5b6c"


def attribute(value: str, *, kind: str = "ip-dst", **fields: Any) -> dict[str, Any]:
    return {
        "uuid": f"a-{value}",
        "type": kind,
        "category": "Network activity",
        "value": value,
        "to_ids": True,
        **fields,
    }


def event(uuid: str, stamp: int, *attributes: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "Event": {
                "uuid": uuid,
                "info": "C2 infrastructure",
                "timestamp": str(stamp),
                "distribution": "3",
                "Tag": [{"name": "tlp:green"}],
                "Attribute": list(attributes),
            }
        }
    )


def path(value: str) -> str:
    return f"/api/v1/observables/ipv4/{value}"


def test_a_newer_copy_withdraws_removed_and_deleted_attributes(
    hub: Hub, client: TestClient, member: Any
) -> None:
    author, other = member("Author"), member("Other")
    first = post_misp(
        client, author, event(EVENT, 100, *(attribute(f"45.0.0.{n}") for n in (1, 2, 3)))
    )
    assert first["withdrawn"] == {EVENT: 0}
    # Another organisation's copy of the same event.
    post_misp(client, other, event(EVENT, 100, attribute("45.0.0.2")))

    # .1 stays, .2 is soft-deleted in MISP, .3 is gone, .4 is new.
    newer = event(
        EVENT,
        200,
        attribute("45.0.0.1"),
        attribute("45.0.0.2", deleted=True),
        attribute("45.0.0.4"),
    )
    answer = post_misp(client, author, newer)

    assert answer["withdrawn"] == {EVENT: 2}
    assert orgs_reporting(client, other, path("45.0.0.1")) == ["Author"]
    assert orgs_reporting(client, other, path("45.0.0.2")) == ["Other"]
    assert orgs_reporting(client, other, path("45.0.0.3")) == []
    assert orgs_reporting(client, other, path("45.0.0.4")) == ["Author"]
    with hub.db.read() as conn:
        subjects = (
            conn.execute(
                select(audit_events.c.subject).where(audit_events.c.action == "reports.withdraw")
            )
            .scalars()
            .all()
        )
    assert subjects == [f"misp-event:{EVENT}"]
    # The same copy again withdraws nothing more and takes nothing back.
    assert post_misp(client, author, newer)["withdrawn"] == {EVENT: 0}
    assert orgs_reporting(client, other, path("45.0.0.3")) == []


def test_a_value_another_event_still_names_is_kept(client: TestClient, member: Any) -> None:
    author = member("Author")
    post_misp(client, author, event(EVENT, 100, attribute("45.0.0.1"), attribute("45.0.0.2")))
    post_misp(client, author, event(OTHER_EVENT, 100, attribute("45.0.0.2")))

    answer = post_misp(client, author, event(EVENT, 200, attribute("45.0.0.1")))

    assert answer["withdrawn"] == {EVENT: 0}
    assert orgs_reporting(client, author, path("45.0.0.2")) == ["Author"]
    # Once the other event drops it too, it goes.
    assert post_misp(client, author, event(OTHER_EVENT, 300))["withdrawn"] == {OTHER_EVENT: 1}
    assert orgs_reporting(client, author, path("45.0.0.2")) == []


def test_a_stale_copy_does_not_take_the_event_back(client: TestClient, member: Any) -> None:
    author = member("Author")
    post_misp(client, author, event(EVENT, 100, attribute("45.0.0.1"), attribute("45.0.0.2")))
    post_misp(client, author, event(EVENT, 200, attribute("45.0.0.1")))
    assert orgs_reporting(client, author, path("45.0.0.2")) == []

    stale = post_misp(
        client, author, event(EVENT, 100, attribute("45.0.0.1"), attribute("45.0.0.2"))
    )

    assert stale["withdrawn"] == {EVENT: 1}  # reported by the stale copy, withdrawn at once
    assert orgs_reporting(client, author, path("45.0.0.2")) == []
    assert orgs_reporting(client, author, path("45.0.0.1")) == ["Author"]
    # The newest copy is still the one remembered: a newer one compares with it.
    assert post_misp(client, author, event(EVENT, 300))["withdrawn"] == {EVENT: 1}
    assert orgs_reporting(client, author, path("45.0.0.1")) == []


def test_other_formats_answer_without_withdrawn(client: TestClient, member: Any) -> None:
    author = member("Author")
    sent = client.post(
        "/api/v1/contributions",
        json={"items": [{"value": "45.0.0.9", "tlp": "green"}]},
        headers=author.auth,
    )
    assert sent.status_code == 201 and "withdrawn" not in sent.json()


def stamps_of(payload: bytes) -> tuple[Any, ...]:
    return read_import(payload)[1]


def test_event_stamps_are_read_leniently() -> None:
    assert stamps_of(b"not json") == ()
    assert stamps_of(b'{"Event": {"info": "x", "Attribute": []}}') == ()  # no uuid
    document = orjson.dumps(
        {
            "response": [
                {"Event": {"uuid": EVENT.upper(), "info": "a", "timestamp": "7", "Attribute": []}},
                {"Event": {"uuid": OTHER_EVENT, "info": "b", "timestamp": "soon", "Attribute": []}},
            ]
        }
    )
    assert [(s.uuid, s.stamp) for s in stamps_of(document)] == [(EVENT, 7), (OTHER_EVENT, None)]


def test_an_event_without_a_valid_uuid_imports_but_is_not_remembered(
    client: TestClient, member: Any
) -> None:
    author = member("Author")
    odd = "not-a-uuid-" + "x" * 40  # longer than any uuid column
    answer = post_misp(client, author, event(odd, 100, attribute("45.0.0.1")))
    assert answer["counts"]["new"] == 1 and answer["withdrawn"] == {}
    assert post_misp(client, author, event(odd, 200))["withdrawn"] == {}
    assert orgs_reporting(client, author, path("45.0.0.1")) == ["Author"]
