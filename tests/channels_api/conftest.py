"""Helpers for the channel API tests: drive the hub through REST, sign receipts.

The hub recomputes a channel on every fetch here (``channel_refresh_seconds=0``), so each
test sees exactly what its contributions and policy changes make of a feed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from phalanx.channels import receipts as signing
from phalanx.clock import parse_timestamp
from phalanx.settings import Settings

# Public-looking values: documentation ranges and example.* are never deployed (never_block).
IPS = ("45.77.1.2", "185.220.101.7", "91.198.174.192")
DOMAINS = ("evil-phx.xyz", "login.bad-phx.top")
URLS = ("http://evil-phx.xyz/gate.php?id=1",)
# Not single bytes: those files are on the common false-positive hash warninglist.
SHA256 = tuple(hashlib.sha256(f"phalanx sample {i}".encode()).hexdigest() for i in range(2))
MD5 = (hashlib.md5(b"phalanx").hexdigest(),)
YARA = ('rule phx_test_rule { strings: $a = "evil-payload" condition: $a }',)
ALL_FORMATS = (
    "edl-ip",
    "edl-domain",
    "edl-url",
    "suricata",
    "rpz",
    "yara",
    "csv",
    "stix",
    "misp-feed",
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Recompute channel content on every fetch."""
    return Settings(database_url=database_url, channel_refresh_seconds=0)


def mixed_items() -> list[dict[str, Any]]:
    """One or two items of every kind the formats carry."""
    items: list[dict[str, Any]] = [{"type": "ipv4", "value": v} for v in IPS]
    items += [{"type": "domain", "value": v} for v in DOMAINS]
    items += [{"type": "url", "value": v} for v in URLS]
    items += [{"type": "sha256", "value": v} for v in SHA256]
    items += [{"type": "md5", "value": v} for v in MD5]
    items += [{"type": "yara", "value": v} for v in YARA]
    return items


@dataclass
class Deploy:
    """The REST API as channel tests use it."""

    client: TestClient
    admin: Any

    def contribute(self, member: Any, items: list[Any], **defaults: Any) -> dict[str, Any]:
        """POST a JSON contribution (TLP:GREEN, PAP:GREEN, confidence 80 unless told)."""
        base = {"tlp": "green", "pap": "green", "confidence": 80, "labels": ["c2"]}
        response = self.client.post(
            "/api/v1/contributions",
            content=orjson.dumps({"defaults": {**base, **defaults}, "items": items}),
            headers={**member.auth, "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text
        outcomes = response.json()["items"]
        assert all(item["outcome"] != "rejected" for item in outcomes), outcomes
        return response.json()

    def channel(self, member: Any, fmt: str, **fields: Any) -> dict[str, Any]:
        """Create a channel; return its JSON."""
        response = self.client.post(
            "/api/v1/channels", json={"format": fmt, **fields}, headers=member.auth
        )
        assert response.status_code == 201, response.text
        return response.json()

    def feed(self, member: Any, channel_id: int, **params: Any) -> Any:
        """GET the feed; return the raw response."""
        headers = dict(member.auth)
        if "etag" in params:
            headers["If-None-Match"] = params.pop("etag")
        return self.client.get(
            f"/api/v1/channels/{channel_id}/feed", params=params, headers=headers
        )

    def ok_feed(self, member: Any, channel_id: int, **params: Any) -> Any:
        """GET the feed, asserting 200."""
        response = self.feed(member, channel_id, **params)
        assert response.status_code == 200, response.text
        return response

    def register_key(self, member: Any) -> tuple[Ed25519PrivateKey, str]:
        """Make and register a key for the member; return it and its key id."""
        private = Ed25519PrivateKey.generate()
        response = self.client.post(
            "/api/v1/deployment-keys",
            json={"public_key": signing.public_pem(private), "name": "firewall fleet"},
            headers=member.auth,
        )
        assert response.status_code == 201, response.text
        return private, response.json()["key_id"]

    def receipt(
        self,
        member: Any,
        channel_id: int,
        *,
        key: Ed25519PrivateKey,
        key_id: str,
        version: int,
        digest: str,
        deployed_at: str,
        control: str = "fw-01",
        sign_as: dict[str, Any] | None = None,
    ) -> Any:
        """POST a receipt signed over the claim (or over ``sign_as`` changes); raw response."""
        try:
            moment = parse_timestamp(deployed_at)
        except ValueError:  # a malformed time under test: sign anything, the hub must refuse
            moment = datetime(2026, 1, 1, tzinfo=UTC)
        claim = signing.ReceiptClaim(channel_id, version, digest, moment, control)
        signed = signing.ReceiptClaim(**{**_fields(claim), **(sign_as or {})})
        body = {
            "version": version,
            "digest": digest,
            "deployed_at": deployed_at,
            "control": control,
            "key_id": key_id,
            "signature": signing.sign(key, signed),
        }
        return self.client.post(
            f"/api/v1/channels/{channel_id}/receipts", json=body, headers=member.auth
        )


def _fields(claim: signing.ReceiptClaim) -> dict[str, Any]:
    return {
        "channel_id": claim.channel_id,
        "version": claim.version,
        "digest": claim.digest,
        "deployed_at": claim.deployed_at,
        "control": claim.control,
    }


@pytest.fixture
def deploy(client: TestClient, member: Any) -> Deploy:
    """The API, with a hub admin ("Hub Ops")."""
    return Deploy(client, member("Hub Ops", kind="cert", role="admin"))
