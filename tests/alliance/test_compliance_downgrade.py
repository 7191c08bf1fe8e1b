"""PHALANX_COMPLIANCE_CONSEQUENCE=downgrade: a member that does not deploy what it receives
loses AMBER community intelligence like a member out of good standing, and gets it back."""

from __future__ import annotations

from typing import Any

import pytest

from phalanx.alliance.standing import refresh_all
from phalanx.clock import format_timestamp
from phalanx.settings import Settings

from ..channels_api.conftest import Deploy

AMBER = [("ipv4", "45.77.1.1"), ("ipv4", "45.77.1.2")]
GREEN = ("ipv4", "45.77.1.9")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(compliance_consequence="downgrade", channel_refresh_seconds=0)


def standing(api: Any, who: Any) -> dict[str, Any]:
    response = api.client.get("/api/v1/alliance/standing", headers=who.auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def deploy_latest(deploy: Deploy, who: Any, channel_id: int, key: Any) -> Any:
    feed = deploy.ok_feed(who, channel_id)
    version = int(feed.headers["X-Phalanx-Channel-Version"])
    digest = feed.headers["X-Phalanx-Content-Digest"]
    return version, digest


def test_not_deploying_counts_as_a_downgrade(api: Any, member: Any, clock: Any, hub: Any) -> None:
    vendor, producer = member("Vendor"), member("Producer")
    api.community("alliance", ["Vendor", "Producer"])
    share = {"labels": ["c2"], "communities": ["alliance"]}
    api.contribute(producer, [AMBER[0][1]], tlp="amber", **share)
    api.contribute(producer, [GREEN[1]], tlp="green", **share)
    deploy = Deploy(api.client, api.admin)
    channel = deploy.channel(vendor, "edl-ip", name="fw")
    key, key_id = deploy.register_key(vendor)

    version, digest = deploy_latest(deploy, vendor, channel["id"], key)
    clock.advance(hours=1)
    receipt = deploy.receipt(
        vendor, channel["id"], key=key, key_id=key_id, version=version, digest=digest,
        deployed_at=format_timestamp(clock()),
    )  # fmt: skip
    assert receipt.status_code == 201, receipt.text
    s = standing(api, vendor)
    assert (s["status"], s["non_compliant"], s["rule"]["compliance_downgrade"]) == (
        "good",
        False,
        True,
    )
    assert api.sees(vendor, [AMBER[0], GREEN]) == {AMBER[0][1], GREEN[1]}

    api.contribute(producer, [AMBER[1][1]], tlp="amber", **share)
    version, digest = deploy_latest(deploy, vendor, channel["id"], key)
    clock.advance(hours=25)  # version 2 waits past the 24 h SLA without a receipt
    with hub.db.transaction() as conn:
        refresh_all(hub, conn, now=hub.clock())
    s = standing(api, vendor)
    assert (s["status"], s["non_compliant"]) == ("restricted", True)
    assert api.sees(vendor, [*AMBER, GREEN]) == {GREEN[1]}
    compliance = api.client.get("/api/v1/alliance/compliance", headers=vendor.auth).json()
    assert (compliance["members"][0]["compliant"], compliance["members"][0]["action"]) == (
        False,
        "downgrade",
    )

    clock.advance(days=8)  # the late week leaves the window; every version is deployed
    receipt = deploy.receipt(
        vendor, channel["id"], key=key, key_id=key_id, version=version, digest=digest,
        deployed_at=format_timestamp(clock()),
    )  # fmt: skip
    assert receipt.status_code == 201, receipt.text
    s = standing(api, vendor)
    assert (s["status"], s["non_compliant"]) == ("good", False)
    assert api.sees(vendor, [*AMBER, GREEN]) == {AMBER[0][1], AMBER[1][1], GREEN[1]}
