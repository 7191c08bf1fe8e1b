"""Acceptance: a vendor that stops contributing drops out of good standing after the grace
period and loses AMBER community access; contributing enough brings it back at once.

The rule here: at least 1 point a day over a rolling 30-day window (30 points), 7 days of
grace. What a restricted member keeps is checked on every read path (``api.sees``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from phalanx.settings import Settings
from phalanx.store.tables import audit_events

AMBER_COMMUNITY = ("domain", "amber-community-intel.net")
AMBER_NAMED = ("domain", "amber-named-to-slacker.net")
GREEN_COMMUNITY = ("domain", "green-community-intel.net")
CLEAR = ("domain", "clear-for-everyone.net")
RED_NAMED = ("domain", "red-named-to-slacker.net")
STRICT_COMMUNITY = ("domain", "strict-community-intel.net")
EVERY = [AMBER_COMMUNITY, AMBER_NAMED, GREEN_COMMUNITY, CLEAR, RED_NAMED, STRICT_COMMUNITY]
KEPT = {v for _k, v in EVERY} - {AMBER_COMMUNITY[1], STRICT_COMMUNITY[1]}


def hashes(start: int, count: int) -> list[str]:
    return [f"{n:064x}" for n in range(start, start + count)]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(
        standing_min_points_per_day=1.0, standing_window_days=30, standing_grace_days=7
    )


@pytest.fixture
def members(api: Any, member: Any) -> tuple[Any, Any]:
    slacker, producer = member("Slacker Inc"), member("Producer AG")
    api.community("alliance", ["Slacker Inc", "Producer AG"])
    share = {"labels": ["c2"]}
    api.contribute(producer, [AMBER_COMMUNITY[1]], tlp="amber", communities=["alliance"], **share)
    api.contribute(producer, [AMBER_NAMED[1]], tlp="amber", share_with=["Slacker Inc"], **share)
    api.contribute(producer, [GREEN_COMMUNITY[1]], tlp="green", communities=["alliance"], **share)
    api.contribute(producer, [CLEAR[1]], tlp="clear", **share)
    api.contribute(producer, [RED_NAMED[1]], tlp="red", share_with=["Slacker Inc"], **share)
    api.contribute(
        producer, [STRICT_COMMUNITY[1]], tlp="amber+strict", communities=["alliance"], **share
    )
    return slacker, producer


def standing(api: Any, who: Any, **params: Any) -> dict[str, Any]:
    response = api.client.get("/api/v1/alliance/standing", params=params, headers=who.auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_stop_contributing_lose_amber_then_regain(api: Any, members: Any, clock: Any) -> None:
    slacker, _producer = members
    start = clock.moment
    body = api.contribute(slacker, hashes(1, 4), tlp="green", labels=["malware:emotet"])
    assert body["points"] == 50.0  # 4 x 12.5
    mine = (("sha256", hashes(1, 1)[0]),)
    values = [*EVERY, *mine]
    everything = {v for _k, v in values}
    assert api.sees(slacker, values) == everything
    s = standing(api, slacker)
    assert (s["status"], s["points_in_window"], s["gap_points"]) == ("good", 50.0, 0)
    assert s["restricted_from"] == (start + timedelta(days=37)).isoformat()

    clock.advance(days=29, hours=23)
    assert standing(api, slacker)["status"] == "good"
    clock.advance(hours=1)  # the rows leave the 30-day window: below the line, in grace
    s = standing(api, slacker)
    assert (s["status"], s["points_in_window"], s["gap_points"]) == ("grace", 0.0, 30.0)
    assert s["trend"] == {"direction": "falling", "previous_average_per_day": 1.6667}
    assert s["below_since"] == clock.moment.isoformat()
    assert s["restricted_from"] == (start + timedelta(days=37)).isoformat()
    assert api.sees(slacker, values) == everything

    clock.advance(days=7, microseconds=-1)
    assert api.sees(slacker, values) == everything
    clock.advance(microseconds=1)
    s = standing(api, slacker)
    assert s["status"] == "restricted"
    assert s["restricted_from"] == clock.moment.isoformat()
    assert api.sees(slacker, values) == KEPT | {mine[0][1]}

    body = api.contribute(slacker, hashes(10, 2), tlp="green", labels=["malware:emotet"])
    assert body["points"] == 25.0
    s = standing(api, slacker)
    assert (s["status"], s["gap_points"]) == ("restricted", 5.0)
    assert api.sees(slacker, values) == KEPT | {mine[0][1]}
    api.contribute(slacker, hashes(20, 1), tlp="green", labels=["malware:emotet"])
    s = standing(api, slacker)
    # 37.5 points now against the 50 of the window before: back in, but trending down.
    assert (s["status"], s["gap_points"], s["trend"]["direction"]) == ("good", 0, "falling")
    assert api.sees(slacker, values) == everything


def test_a_new_member_has_the_grace_period_to_start(api: Any, members: Any, clock: Any) -> None:
    slacker, _producer = members
    values = [AMBER_COMMUNITY]
    s = standing(api, slacker)
    assert (s["status"], s["gap_points"]) == ("grace", 30.0)
    clock.advance(days=7)
    assert standing(api, slacker)["status"] == "restricted"
    assert api.sees(slacker, values) == set()


def test_admin_override_is_audited_and_applies_at_once(
    api: Any, members: Any, clock: Any, hub: Any
) -> None:
    slacker, producer = members
    clock.advance(days=8)
    assert api.sees(slacker, [AMBER_COMMUNITY]) == set()
    url = f"/api/v1/alliance/standing/{slacker.org_id}/override"
    body = {"status": "good", "reason": "new member onboarding, contract signed"}
    denied = api.client.post(url, json=body, headers=producer.auth)
    assert denied.status_code == 403
    missing = api.client.post(url, json={"status": "good", "reason": ""}, headers=api.admin.auth)
    assert missing.status_code == 422
    done = api.client.post(url, json=body, headers=api.admin.auth)
    assert done.status_code == 200, done.text
    shown = standing(api, slacker)
    assert (shown["status"], shown["computed_status"]) == ("good", "restricted")
    assert shown["override"]["reason"] == body["reason"]
    assert api.sees(slacker, [AMBER_COMMUNITY]) == {AMBER_COMMUNITY[1]}
    cleared = api.client.post(
        url, json={"status": None, "reason": "onboarding over"}, headers=api.admin.auth
    )
    assert cleared.status_code == 200, cleared.text
    assert api.sees(slacker, [AMBER_COMMUNITY]) == set()
    with hub.db.read() as conn:
        actions = conn.execute(
            select(audit_events.c.action, audit_events.c.details).where(
                audit_events.c.subject == f"organisation:{slacker.org_id}"
            )
        ).all()
    assert [a for a, _ in actions] == ["standing.override", "standing.override-cleared"]
    assert body["reason"] in actions[0][1]


def test_an_override_can_end_by_itself(api: Any, members: Any, clock: Any) -> None:
    slacker, _producer = members
    url = f"/api/v1/alliance/standing/{slacker.org_id}/override"
    clock.advance(days=8)
    body = {"status": "good", "reason": "grace extended for one day"}
    past = api.client.post(
        url, json={**body, "until": clock.moment.isoformat()}, headers=api.admin.auth
    )
    assert past.status_code == 422  # not in the future
    later = (clock.moment + timedelta(days=1)).isoformat()
    response = api.client.post(url, json={**body, "until": later}, headers=api.admin.auth)
    assert response.status_code == 200, response.text
    assert api.sees(slacker, [AMBER_COMMUNITY]) == {AMBER_COMMUNITY[1]}
    clock.advance(days=1, microseconds=-1)
    assert api.sees(slacker, [AMBER_COMMUNITY]) == {AMBER_COMMUNITY[1]}
    clock.advance(microseconds=1)
    assert api.sees(slacker, [AMBER_COMMUNITY]) == set()


def test_members_see_only_their_own_standing(api: Any, members: Any) -> None:
    slacker, producer = members
    response = api.client.get(
        "/api/v1/alliance/standing", params={"org_id": producer.org_id}, headers=slacker.auth
    )
    assert response.status_code == 403
    assert standing(api, api.admin, org_id=producer.org_id)["org_id"] == producer.org_id
