"""Reports from TAXII objects after the 202 (taxii/derive.py): the queue, its worker, leases."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from phalanx.app import create_app
from phalanx.audit.record import record
from phalanx.clock import to_micros
from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.members import secrets, service
from phalanx.settings import Settings
from phalanx.store import stix_objects as object_store
from phalanx.store.tables import (
    contributions,
    reports,
    stix_objects,
    taxii_derivations,
    taxii_status,
)
from phalanx.taxii import collections, derive, ingest

from ..conftest import FakeClock, Member, add_member
from .test_protocol import add, headers
from .test_taxii2_client import indicator, malware

PRIVATE = {
    "type": "ipv4-addr",
    "id": "ipv4-addr--7dd44d27-f473-5ba9-b12b-0d3a61bbed2e",
    "value": "10.0.0.1",
    "object_marking_refs": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
}


def queue_post(hub: Hub, member: Member, objects: list[Any]) -> tuple[dict[str, Any], int]:
    """Store an envelope as a POST does, leaving its job in the queue."""
    key_id, secret = secrets.parse_token(member.token) or ("", "")
    with hub.db.read() as conn:
        caller = service.authenticate(conn, key_id=key_id, secret=secret, now=hub.clock())
        shared = collections.get_for(conn, hub.settings.hub_name, caller, "shared")
    post = ingest.prepare_post(hub, body=orjson.dumps({"objects": objects}))
    with hub.db.transaction() as conn:
        status, job = ingest.store_post(hub, conn, principal=caller, post=post, collection=shared)
    assert job is not None
    return status, job


def count(hub: Hub, table: Any) -> int:
    with hub.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def stored_status(hub: Hub, status_id: str) -> dict[str, Any]:
    with hub.db.read() as conn:
        body = conn.execute(
            select(taxii_status.c.body).where(taxii_status.c.id == status_id)
        ).scalar_one()
    return dict(orjson.loads(body))


@pytest.mark.parametrize(
    ("jobs", "oldest", "newest", "serving", "expected"),
    [
        (0, 0.0, 0.0, False, False),  # nothing to do
        (3, 0.2, 0.1, False, False),  # POSTs are arriving: let them have the cores
        (3, 0.9, 0.6, False, True),  # the hub went quiet
        (3, 0.9, 0.6, True, False),  # ...but this process just answered a POST
        (3, 5.0, 0.0, False, True),  # a steady stream: no job waits longer than PATIENCE_S
        (3, 5.0, 0.0, True, False),  # ...and the idle process takes it first
        (3, 10.0, 0.0, True, True),  # ...unless there is none
    ],
)
def test_workers_yield_to_posts_for_a_bounded_time(
    jobs: int, oldest: float, newest: float, serving: bool, expected: bool
) -> None:
    assert derive.PATIENCE_S == 5.0 and derive.QUIET_S == 0.5
    waiting = derive.Queue(jobs, oldest, newest)
    assert derive.should_derive(waiting, serving=serving) is expected


def test_the_post_stores_and_the_worker_derives_after_it(
    settings: Settings, clock: FakeClock
) -> None:
    hub = Hub.open(settings.with_(taxii_derivation="background"), clock=clock)
    try:
        author, reader = add_member(hub, "Author"), add_member(hub, "Reader")
        with TestClient(create_app(hub=hub)) as client:
            status = add(client, author, [indicator(1), malware(), PRIVATE])
            # Stored and served at once; the reports come from the queue.
            assert status["success_count"] == 3
            assert not any("message" in entry for entry in status["successes"])
            seen = client.get("/taxii2/api/collections/shared/objects/", headers=headers(reader))
            assert len(seen.json()["objects"]) == 3
            clock.advance(seconds=1)  # the hub has been quiet for QUIET_S
            deadline = time.monotonic() + 20
            while count(hub, taxii_derivations) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert count(hub, taxii_derivations) == 0
            found = client.get("/api/v1/observables/ipv4/45.0.1.7", headers=reader.auth)
            assert found.status_code == 200, found.text
            after = client.get(f"/taxii2/api/status/{status['id']}/", headers=headers(author))
        entries = after.json()["successes"]
        assert "message" not in entries[0] and "message" not in entries[1]
        assert "no report" in entries[2]["message"]  # a private address
        with hub.db.read() as conn:
            linked = conn.execute(select(stix_objects.c.contribution_id)).scalars().all()
        assert len(linked) == 3 and len(set(linked)) == 1 and linked[0] is not None
    finally:
        hub.close()


def test_a_job_is_derived_once_even_when_its_lease_runs_out(hub: Hub, clock: FakeClock) -> None:
    author = add_member(hub, "Author")
    status, job_id = queue_post(hub, author, [indicator(1), indicator(2), PRIVATE])
    slow = derive._claim(hub, "slow", job_id=None)
    assert slow is not None and slow.id == job_id
    # Held: nobody else takes it, and the queue does not skip ahead of it.
    queue_post(hub, author, [indicator(3)])
    assert not derive.derive_next(hub, "quick")
    clock.advance(seconds=derive.LEASE_S + 1)
    assert derive.derive_next(hub, "quick")  # the lease ran out: taken over
    assert count(hub, reports) == 2 and count(hub, contributions) == 1
    derive._run(hub, slow)  # the first worker wakes up late: it must write nothing
    assert count(hub, reports) == 2 and count(hub, contributions) == 1
    assert derive.derive_next(hub, "quick")  # then the next job, in order
    assert count(hub, reports) == 3 and count(hub, taxii_derivations) == 0
    remarks = stored_status(hub, status["id"])["successes"]
    assert [("message" in entry) for entry in remarks] == [False, False, True]


def test_a_failing_job_is_retried_then_given_up_without_losing_objects(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = add_member(hub, "Author")
    status, _ = queue_post(hub, author, [indicator(1), malware()])
    calls = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "run", broken)
    for attempt in range(1, derive.MAX_ATTEMPTS + 1):
        assert derive.derive_next(hub, "worker")
        assert len(calls) == attempt
        assert count(hub, taxii_derivations) == (0 if attempt == derive.MAX_ATTEMPTS else 1)
    assert not derive.derive_next(hub, "worker")
    assert count(hub, stix_objects) == 2 and count(hub, reports) == 0
    remarks = stored_status(hub, status["id"])["successes"]
    assert all("deriving reports failed (RuntimeError)" in entry["message"] for entry in remarks)


def test_inline_posts_answer_with_the_reports_made(hub: Hub, client: TestClient) -> None:
    author = add_member(hub, "Author")
    status = add(client, author, [indicator(1), PRIVATE])
    assert "no report" in status["successes"][1]["message"]
    assert count(hub, taxii_derivations) == 0 and count(hub, reports) == 1


def test_the_derivation_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="PHALANX_TAXII_DERIVATION must be one of"):
        Settings(taxii_derivation="later")


def test_an_object_deleted_before_its_job_yields_no_report(hub: Hub, client: TestClient) -> None:
    author = add_member(hub, "Author")
    status, _ = queue_post(hub, author, [indicator(1), indicator(2)])
    gone = client.delete(
        f"/taxii2/api/collections/shared/objects/{indicator(2)['id']}/", headers=headers(author)
    )
    assert gone.status_code == 200, gone.text
    assert derive.derive_next(hub, "worker")
    assert count(hub, reports) == 1
    remarks = stored_status(hub, status["id"])["successes"]
    assert "message" not in remarks[0]
    assert remarks[1]["message"] == "no report: the object was deleted before its reports were made"


def test_a_job_and_a_post_touching_the_same_versions_do_not_deadlock(
    hub: Hub, clock: FakeClock
) -> None:
    # A POST's new version of an object re-flags the stored one (a row lock), then appends
    # to the audit chain; the job of the stored one links it to its contribution after the
    # pipeline has appended to the audit chain. Opposite orders: each must wait its turn.
    author = add_member(hub, "Author")
    status, _ = queue_post(hub, author, [indicator(1)])
    key_id, secret = secrets.parse_token(author.token) or ("", "")
    with hub.db.read() as conn:
        caller = service.authenticate(conn, key_id=key_id, secret=secret, now=hub.clock())
        shared = collections.get_for(conn, hub.settings.hub_name, caller, "shared")
    newer = indicator(1, modified="2026-02-01T00:00:00.000Z")
    post = ingest.prepare_post(hub, body=orjson.dumps({"objects": [newer]}))
    errors: list[BaseException] = []

    def derive_now() -> None:
        try:
            derive.derive_next(hub, "worker")
        except BaseException as error:  # reported below
            errors.append(error)

    worker = threading.Thread(target=derive_now)
    with hub.db.transaction() as conn:
        now_us = to_micros(hub.clock())
        versions = ingest._new_versions(hub, conn, post.candidates, shared)
        object_store.add_versions(
            conn,
            hub.db,
            org_id=author.org_id,
            contribution_id=None,
            versions=versions,
            now_us=now_us,
        )
        worker.start()
        time.sleep(0.5)  # the job runs as far as it can while the POST holds its row locks
        record(conn, hub.db, action="test.post", at=now_us, actor_org_id=author.org_id)
    worker.join(30)
    assert not worker.is_alive() and not errors, errors
    assert count(hub, taxii_derivations) == 0
    # The job reports the first version if it read before the newer one was committed (it
    # did not wait for the POST: PostgreSQL); otherwise only the newer version speaks.
    entry = stored_status(hub, str(status["id"]))["successes"][0]
    if count(hub, reports) == 0:
        assert entry["message"] == "no report: a later version of this object is stored"
    else:
        assert count(hub, reports) == 1 and "message" not in entry
