"""Channels take the hub's warninglists, report expiry and members' feedback into account."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from phalanx.clock import format_timestamp
from phalanx.settings import Settings


@pytest.fixture
def settings(database_url: str, shared_data: Path) -> Settings:
    """Fresh content on every fetch, with the shared MISP warninglists."""
    return Settings(
        database_url=database_url,
        channel_refresh_seconds=0,
        warninglists_dir=str(shared_data / "warninglists"),
    )


def listed(deploy: Any, member: Any, channel: dict[str, Any]) -> set[str]:
    body = deploy.ok_feed(member, channel["id"]).content.decode()
    return {line for line in body.splitlines() if line and not line.startswith("#")}


def sight(deploy: Any, member: Any, value: str, kind: str) -> None:
    response = deploy.client.post(
        "/api/v1/sightings",
        content=orjson.dumps({"value": value, "sighting": kind}),
        headers={**member.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_warninglisted_values_never_reach_a_block_list(deploy: Any, member: Any) -> None:
    acme = member("Acme")
    deploy.contribute(acme, ["8.8.8.8", "1.1.1.1", "203.0.113.9", "45.77.10.20"])
    channel = deploy.channel(acme, "edl-ip", name="fw")
    # Public resolvers are on MISP's lists, 203.0.113.0/24 is a documentation range.
    assert listed(deploy, acme, channel) == {"45.77.10.20"}


def test_a_lapsed_valid_until_takes_the_item_out(deploy: Any, member: Any, clock: Any) -> None:
    acme = member("Acme")
    until = format_timestamp(clock() + timedelta(days=2))
    deploy.contribute(acme, [{"value": "45.77.10.21", "valid_until": until}, "45.77.10.22"])
    channel = deploy.channel(acme, "edl-ip", name="fw")
    assert listed(deploy, acme, channel) == {"45.77.10.21", "45.77.10.22"}
    clock.advance(days=3)
    assert listed(deploy, acme, channel) == {"45.77.10.22"}


def test_expiry_and_false_positives_move_the_channel(deploy: Any, member: Any) -> None:
    acme, bravo, carol = member("Acme"), member("Bravo"), member("Carol")
    deploy.contribute(acme, ["45.77.10.31", "45.77.10.32"], confidence=60)
    channel = deploy.channel(bravo, "edl-ip", name="fw", min_confidence=40)
    assert listed(deploy, bravo, channel) == {"45.77.10.31", "45.77.10.32"}
    sight(deploy, acme, "45.77.10.31", "expired")  # its contributor retires it
    assert listed(deploy, bravo, channel) == {"45.77.10.32"}
    sight(deploy, carol, "45.77.10.32", "false-positive")  # 60 halves to 30, under 40
    assert listed(deploy, bravo, channel) == set()


def test_reports_of_one_value_merge_to_the_most_careful_reading(deploy: Any, member: Any) -> None:
    acme, bravo = member("Acme"), member("Bravo")
    # Bravo sees both reports of 45.77.10.41; one of them forbids active use (PAP:AMBER).
    deploy.contribute(acme, ["45.77.10.41", "45.77.10.42"], tlp="green")
    deploy.contribute(bravo, [{"value": "45.77.10.41", "pap": "amber"}, "45.77.10.42"])
    fw = deploy.channel(bravo, "edl-ip", name="fw")
    assert listed(deploy, bravo, fw) == {"45.77.10.42"}
    table = deploy.channel(bravo, "csv", name="table")
    rows = deploy.ok_feed(bravo, table["id"]).content.decode().splitlines()
    assert sum("45.77.10.41" in row for row in rows) == 1
    assert sum("45.77.10.42" in row for row in rows) == 1
