"""Signed deployment receipts: accepted when they verify, refused naming the bad field."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from phalanx.channels import receipts as signing
from phalanx.clock import format_timestamp, parse_timestamp

from .conftest import IPS, Deploy

WRONG = "sha256:" + "0" * 64


@pytest.fixture
def setup(deploy: Deploy, member: Any, clock: Any) -> dict[str, Any]:
    """Acme with a key and one channel version, 10 minutes later."""
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[0]}])
    channel = deploy.channel(acme, "edl-ip", name="perimeter")
    feed = deploy.ok_feed(acme, channel["id"])
    key, key_id = deploy.register_key(acme)
    minted = clock()
    clock.advance(minutes=10)
    return {
        "acme": acme,
        "channel": channel["id"],
        "digest": feed.headers["X-Phalanx-Content-Digest"],
        "key": key,
        "key_id": key_id,
        "at": format_timestamp(minted + (clock() - minted) / 2),
    }


def post(deploy: Deploy, s: dict[str, Any], **changes: Any) -> Any:
    fields = {
        "key": s["key"],
        "key_id": s["key_id"],
        "version": 1,
        "digest": s["digest"],
        "deployed_at": s["at"],
        **changes,
    }
    return deploy.receipt(s["acme"], s["channel"], **fields)


def refused(response: Any, field: str, words: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == field and words in problem["detail"], problem


def test_a_good_receipt_is_stored_and_a_replay_answers_it(deploy: Deploy, setup: Any) -> None:
    first = post(deploy, setup)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert (receipt["version"], receipt["digest"], receipt["control"]) == (
        1,
        setup["digest"],
        "fw-01",
    )
    assert receipt["key_id"] == setup["key_id"]
    again = post(deploy, setup)
    assert again.status_code == 200 and again.json()["id"] == receipt["id"]
    listed = deploy.client.get(
        f"/api/v1/channels/{setup['channel']}/receipts", headers=setup["acme"].auth
    ).json()["receipts"]
    assert [r["id"] for r in listed] == [receipt["id"]]
    other_time = post(deploy, setup, deployed_at=format_timestamp(parse_timestamp(setup["at"])))
    assert other_time.status_code == 200  # the same instant spelled the same way
    conflicting = post(deploy, setup, deployed_at="2026-11-23T12:09:00Z")
    assert conflicting.status_code == 409 and conflicting.json()["field"] == "control"


def test_a_bad_signature_is_refused(deploy: Deploy, setup: Any) -> None:
    # Signed over another control than the one claimed.
    response = post(deploy, setup, sign_as={"control": "fw-02"})
    refused(response, "signature", "does not verify")
    assert "control:fw-01" in response.json()["signed_text"]  # the exact bytes checked
    # Signed by another key than the one named.
    stranger = Ed25519PrivateKey.generate()
    refused(post(deploy, setup, key=stranger), "signature", "does not verify")
    body = {
        "version": 1,
        "digest": setup["digest"],
        "deployed_at": setup["at"],
        "control": "fw-01",
        "key_id": setup["key_id"],
        "signature": "not base64!",
    }
    garbled = deploy.client.post(
        f"/api/v1/channels/{setup['channel']}/receipts", json=body, headers=setup["acme"].auth
    )
    refused(garbled, "signature", "64-byte Ed25519 signature")


def test_a_wrong_digest_is_refused_even_when_signed(deploy: Deploy, setup: Any) -> None:
    refused(post(deploy, setup, digest=WRONG), "digest", "is not the content digest of version 1")
    refused(post(deploy, setup, digest="md5:abc"), "digest", "sha256:")


def test_an_unknown_version_is_refused(deploy: Deploy, setup: Any) -> None:
    refused(post(deploy, setup, version=2), "version", "has no version 2; its latest is 1")
    refused(post(deploy, setup, version=0), "version", "integer from 1")


def test_a_key_of_another_organisation_is_refused(deploy: Deploy, setup: Any, member: Any) -> None:
    bravo = member("Bravo")
    bravo_key, bravo_key_id = deploy.register_key(bravo)
    response = post(deploy, setup, key=bravo_key, key_id=bravo_key_id)
    refused(response, "key_id", "is not a deployment key of Acme")
    unknown = post(deploy, setup, key_id="ffffffffffffffff")
    assert unknown.json()["detail"].replace("ffffffffffffffff", "K") == response.json()[
        "detail"
    ].replace(bravo_key_id, "K")  # another member's key is answered like an unknown one
    # Bravo cannot post receipts for Acme's channel at all: it does not exist for Bravo.
    stolen = deploy.receipt(
        bravo,
        setup["channel"],
        key=bravo_key,
        key_id=bravo_key_id,
        version=1,
        digest=setup["digest"],
        deployed_at=setup["at"],
    )
    assert stolen.status_code == 404


def test_timing_and_revocation(deploy: Deploy, setup: Any, clock: Any) -> None:
    refused(post(deploy, setup, deployed_at="2026-11-23T11:00:00Z"), "deployed_at", "before")
    future = format_timestamp(clock().replace(year=2027))
    refused(post(deploy, setup, deployed_at=future), "deployed_at", "future")
    refused(post(deploy, setup, deployed_at="yesterday"), "deployed_at", "RFC 3339")
    revoke = deploy.client.delete(
        f"/api/v1/deployment-keys/{setup['key_id']}", headers=setup["acme"].auth
    )
    assert revoke.status_code == 200 and revoke.json()["revoked"]
    refused(post(deploy, setup), "key_id", "revoked")


def test_keys_are_registered_once_in_any_encoding(deploy: Deploy, member: Any) -> None:
    acme = member("Acme")
    private = Ed25519PrivateKey.generate()
    pem = signing.public_pem(private)
    created = deploy.client.post(
        "/api/v1/deployment-keys", json={"public_key": pem}, headers=acme.auth
    )
    assert created.status_code == 201
    raw = base64.b64decode(created.json()["public_key"])
    assert created.json()["key_id"] == signing.fingerprint(raw)
    for encoding in (raw.hex(), base64.b64encode(raw).decode()):
        again = deploy.client.post(
            "/api/v1/deployment-keys", json={"public_key": encoding}, headers=acme.auth
        )
        assert again.status_code == 409 and again.json()["field"] == "public_key"
    bad = deploy.client.post(
        "/api/v1/deployment-keys", json={"public_key": "abcd"}, headers=acme.auth
    )
    assert bad.status_code == 422 and bad.json()["field"] == "public_key"
    listed = deploy.client.get("/api/v1/deployment-keys", headers=acme.auth).json()["keys"]
    assert [k["key_id"] for k in listed] == [created.json()["key_id"]]
    bravo = member("Bravo")
    assert deploy.client.get("/api/v1/deployment-keys", headers=bravo.auth).json()["keys"] == []


def test_the_signed_bytes_are_exactly_as_documented() -> None:
    claim = signing.ReceiptClaim(
        channel_id=7,
        version=3,
        digest="sha256:" + "ab" * 32,
        deployed_at=parse_timestamp("2026-11-23T13:00:00+01:00"),
        control="fw-01",
    )
    assert signing.message(claim) == (
        b"phalanx-deployment-receipt/v1\n"
        b"channel:7\n"
        b"version:3\n"
        b"digest:sha256:" + b"ab" * 32 + b"\n"
        b"deployed_at:2026-11-23T12:00:00.000000Z\n"
        b"control:fw-01\n"
    )


def test_cli_keygen_and_sign_make_a_receipt_the_hub_accepts(
    deploy: Deploy, setup: Any, tmp_path: Any
) -> None:
    from typer.testing import CliRunner

    from phalanx.cli.app import app

    runner = CliRunner()
    key_file = tmp_path / "deploy.pem"
    made = runner.invoke(app, ["receipt", "keygen", "--out", str(key_file)])
    assert made.exit_code == 0, made.output
    registered = deploy.client.post(
        "/api/v1/deployment-keys", json={"public_key": made.stdout}, headers=setup["acme"].auth
    )
    assert registered.status_code == 201
    signed = runner.invoke(
        app,
        [
            "receipt",
            "sign",
            "--key",
            str(key_file),
            "--channel",
            str(setup["channel"]),
            "--version",
            "1",
            "--digest",
            setup["digest"],
            "--deployed-at",
            setup["at"],
            "--control",
            "ids-7",
        ],
    )
    assert signed.exit_code == 0, signed.output
    body = orjson.loads(signed.stdout)
    assert body["key_id"] == registered.json()["key_id"]
    posted = deploy.client.post(
        f"/api/v1/channels/{setup['channel']}/receipts", json=body, headers=setup["acme"].auth
    )
    assert posted.status_code == 201, posted.text
    assert runner.invoke(app, ["receipt", "keygen", "--out", str(key_file)]).exit_code == 2
