"""Contributions of one value at the same moment: one organisation gets one report, and of
two organisations only one is first."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import func, select

from phalanx.hub import Hub
from phalanx.ingest import pipeline
from phalanx.members import service
from phalanx.members.secrets import parse_token
from phalanx.store.tables import reports

VALUE = "45.77.10.99"


def _request() -> pipeline.Request:
    return pipeline.Request(records=[{"value": VALUE}], defaults={"tlp": "green"}, format="json")


def _contribute(hub: Hub, who: Any) -> bytes:
    with hub.db.transaction() as conn:
        body, _ = pipeline.contribute(hub, conn, principal=who, request=_request())
    return body


def test_a_second_contribution_waits_and_refreshes_instead_of_duplicating(
    hub: Hub, member: Any
) -> None:
    who = _principal(hub, member("Acme"))
    answers: list[bytes] = []
    second = threading.Thread(target=lambda: answers.append(_contribute(hub, who)))
    with hub.db.transaction() as conn:
        first, _ = pipeline.contribute(hub, conn, principal=who, request=_request())
        second.start()
        time.sleep(0.5)  # the second contribution is under way while the first is open
        assert not answers
    second.join(timeout=30)
    assert b'"outcome":"new"' in first
    assert answers and b'"outcome":"known"' in answers[0]
    with hub.db.read() as conn:
        count = conn.execute(
            select(func.count()).select_from(reports).where(reports.c.org_id == who.org_id)
        ).scalar_one()
    assert count == 1


def test_two_organisations_reporting_one_new_value_at_once_are_first_and_second(
    hub: Hub, member: Any
) -> None:
    acme, bravo = (_principal(hub, member(name)) for name in ("Acme", "Bravo"))
    answers: list[bytes] = []
    second = threading.Thread(target=lambda: answers.append(_contribute(hub, bravo)))
    with hub.db.transaction() as conn:
        first, _ = pipeline.contribute(hub, conn, principal=acme, request=_request())
        second.start()
        time.sleep(0.5)  # Bravo's contribution is under way while Acme's is open
        assert not answers
    second.join(timeout=30)
    assert b'"novelty":"novel"' in first
    # Bravo may see Acme's TLP:GREEN report: it corroborates, it was not first.
    assert answers and b'"outcome":"known"' in answers[0], answers
    assert b'"novelty":"corroborating"' in answers[0]


def _principal(hub: Hub, who: Any) -> Any:
    key_id, secret = parse_token(who.token)
    with hub.db.read() as conn:
        return service.authenticate(conn, key_id=key_id, secret=secret, now=hub.clock())


def test_contributions_sent_at_once_to_one_process_all_land(client: Any, member: Any) -> None:
    # One process runs one contribution at a time (api/contributions.py); the others wait
    # on the event loop, and requests of other kinds are answered meanwhile.
    members = [member(f"Org {n}") for n in range(6)]
    answers: dict[str, Any] = {}

    def post(who: Any) -> None:
        items = [{"value": f"198.51.100.{n}"} for n in range(1, 40)]
        items += [{"value": f"{who.name.replace(' ', '-').lower()}-{n}.example"} for n in range(40)]
        answers[who.name] = client.post(
            "/api/v1/contributions",
            json={"defaults": {"tlp": "green"}, "items": items},
            headers=who.auth,
        )

    threads = [threading.Thread(target=post, args=(who,)) for who in members]
    for thread in threads:
        thread.start()
    assert client.get("/healthz").status_code == 200
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == sorted(who.name for who in members)
    assert {response.status_code for response in answers.values()} == {201}
    news = sorted(response.json()["counts"]["new"] for response in answers.values())
    # Each organisation's own values are new to it; the shared addresses are new to the
    # first only, and "known" to the others (TLP:GREEN reports are visible to every member).
    assert news == [40] * 5 + [79]
