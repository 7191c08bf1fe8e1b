"""Channel feeds over REST: judged by third-party parsers, versions, ETags, exact deltas."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import dns.zone
import orjson
import pytest
import suricataparser
import yara
from idstools import rule as idstools_rule
from pymisp import MISPAttribute, MISPEvent
from pymisp.tools.feed import feed_meta_generator
from stix2validator import ValidationOptions, validate_instance

from phalanx.channels.delta import Delta, apply
from phalanx.channels.formats import registry, suricata, tarball
from phalanx.clock import parse_timestamp

from .conftest import ALL_FORMATS, DOMAINS, IPS, MD5, SHA256, URLS, Deploy, mixed_items


def lines(body: bytes) -> set[str]:
    return {line for line in body.decode().splitlines() if line}


def judge_edl_ip(body: bytes, channel: dict[str, Any]) -> None:
    assert lines(body) == set(IPS)


def judge_edl_domain(body: bytes, channel: dict[str, Any]) -> None:
    assert lines(body) == {*DOMAINS, *(f"*.{d}" for d in DOMAINS)}


def judge_edl_url(body: bytes, channel: dict[str, Any]) -> None:
    assert lines(body) == {u.removeprefix("http://") for u in URLS}


def judge_suricata(body: bytes, channel: dict[str, Any]) -> None:
    files = tarball.unpack(body)
    names = suricata.file_names(channel["name"])
    rules = [
        line
        for line in files[names["rules"]].decode().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules
    for line in rules:
        parsed, other = suricataparser.parse_rule(line), idstools_rule.parse(line)
        assert parsed is not None and other is not None, line
        assert parsed.sid == other["sid"]
    datasets = files[names["domains"]].decode().split()
    assert sorted(base64.b64decode(line).decode() for line in datasets) == sorted(DOMAINS)
    assert set(files[names["ips"]].decode().split()) == set(IPS)
    assert set(files[names["sha256"]].decode().split()) == set(SHA256)
    assert set(files[names["md5"]].decode().split()) == set(MD5)


def judge_rpz(body: bytes, channel: dict[str, Any]) -> None:
    zone = dns.zone.from_text(body.decode("ascii"), origin="rpz.phalanx.", check_origin=True)
    owners = {name.to_text() for name in zone.nodes}
    for domain in DOMAINS:
        assert domain in owners and f"*.{domain}" in owners
    for ip in IPS:
        assert f"32.{'.'.join(reversed(ip.split('.')))}.rpz-ip" in owners


def judge_yara(body: bytes, channel: dict[str, Any]) -> None:
    rules = yara.compile(source=body.decode("utf-8"), includes=False)
    assert {m.rule for m in rules.match(data=b"xx evil-payload xx")} == {"phx_test_rule"}
    sample = b"phalanx sample 0"
    assert {m.rule for m in rules.match(data=sample)} == {f"phx_sha256_{SHA256[0]}"}
    assert {m.rule for m in rules.match(data=b"phalanx")} == {f"phx_md5_{MD5[0]}"}


def judge_csv(body: bytes, channel: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert {row["value"] for row in rows} == {item["value"] for item in mixed_items()}
    assert {row["tlp"] for row in rows} == {"green"}


def judge_stix(body: bytes, channel: dict[str, Any]) -> None:
    bundle = orjson.loads(body)
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]
    objects = {obj["id"]: obj for obj in bundle["objects"]}
    indicators = [obj for obj in objects.values() if obj["type"] == "indicator"]
    assert len(indicators) == len(mixed_items())
    for indicator in indicators:
        assert indicator["created_by_ref"] in objects
        assert all(ref in objects for ref in indicator["object_marking_refs"])
    assert any(IPS[0] in indicator["pattern"] for indicator in indicators)


def judge_misp_feed(body: bytes, channel: dict[str, Any]) -> None:
    files = tarball.unpack(body)
    manifest = orjson.loads(files["manifest.json"])
    [uuid] = manifest
    event = MISPEvent(strict_validation=True)
    event.load(files[f"{uuid}.json"])
    assert event.uuid == uuid and event.info == manifest[uuid]["info"]
    for attribute in event.attributes:  # type/category pairs MISP itself accepts
        strict = MISPAttribute(strict=True)
        strict.from_dict(type=attribute.type, category=attribute.category, value=attribute.value)
    assert {a.value for a in event.attributes} == {item["value"] for item in mixed_items()}
    assert {tag.name for a in event.attributes for tag in a.tags} >= {"tlp:green", "PAP:GREEN"}
    hashes = files["hashes.csv"].decode().splitlines()
    assert sorted(hashes) == sorted(
        f"{hashlib.md5(a.value.encode()).hexdigest()},{uuid}" for a in event.attributes
    )
    # PyMISP's own feed tool rebuilds the same manifest and hashes from the event file.
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, f"{uuid}.json").write_bytes(files[f"{uuid}.json"])
        feed_meta_generator(Path(folder))
        rebuilt = orjson.loads(Path(folder, "manifest.json").read_bytes())
        rebuilt_hashes = Path(folder, "hashes.csv").read_text().splitlines()
    assert set(rebuilt) == {uuid}
    for field in ("info", "date", "analysis", "threat_level_id", "timestamp"):
        assert str(rebuilt[uuid][field]) == str(manifest[uuid][field]), field
    assert rebuilt[uuid]["Orgc"]["uuid"] == manifest[uuid]["Orgc"]["uuid"]
    assert sorted(rebuilt_hashes) == sorted(hashes)


JUDGES = {
    "edl-ip": judge_edl_ip,
    "edl-domain": judge_edl_domain,
    "edl-url": judge_edl_url,
    "suricata": judge_suricata,
    "rpz": judge_rpz,
    "yara": judge_yara,
    "csv": judge_csv,
    "stix": judge_stix,
    "misp-feed": judge_misp_feed,
}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_served_feed_is_judged_by_a_third_party_parser(
    deploy: Deploy, member: Any, fmt: str
) -> None:
    acme = member("Acme")
    deploy.contribute(acme, mixed_items())
    channel = deploy.channel(acme, fmt, name=f"acme {fmt}")
    response = deploy.ok_feed(acme, channel["id"])
    spec = registry.get(fmt)
    assert response.headers["content-type"].split(";")[0] == spec.media_type.split(";")[0]
    assert response.headers["X-Phalanx-Channel-Version"] == "1"
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["X-Phalanx-Content-Digest"] == f"sha256:{digest}"
    assert response.headers["ETag"] == f'"{digest[:32]}"'
    raw = base64.b64encode(bytes.fromhex(digest)).decode()
    assert response.headers["Repr-Digest"] == f"sha-256=:{raw}:"
    JUDGES[fmt](response.content, channel)


def test_etag_304_and_versions_advance_only_when_content_changes(
    deploy: Deploy, member: Any, clock: Any
) -> None:
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[0]}])
    channel = deploy.channel(acme, "edl-ip")
    first = deploy.ok_feed(acme, channel["id"])
    etag = first.headers["ETag"]
    clock.advance(minutes=5)
    again = deploy.ok_feed(acme, channel["id"])  # same content: the same version and bytes
    assert again.headers["X-Phalanx-Channel-Version"] == "1"
    assert again.content == first.content and again.headers["ETag"] == etag
    cached = deploy.feed(acme, channel["id"], etag=etag)
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["ETag"] == etag
    assert cached.headers["X-Phalanx-Channel-Version"] == "1"
    assert deploy.feed(acme, channel["id"], etag=f'"other", W/{etag}').status_code == 304
    assert deploy.feed(acme, channel["id"], etag="*").status_code == 304

    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[1]}])
    changed = deploy.feed(acme, channel["id"], etag=etag)
    assert changed.status_code == 200
    assert changed.headers["X-Phalanx-Channel-Version"] == "2"
    assert changed.headers["ETag"] != etag
    assert lines(changed.content) == {IPS[0], IPS[1]}


def test_a_refresh_interval_serves_the_stored_version_until_the_store_changes(
    client: Any, hub: Any, member: Any, clock: Any
) -> None:
    """With the default interval, a fetch recomputes only when reports or policy changed."""
    from phalanx.store import channels as channel_store

    hub.settings = hub.settings.with_(channel_refresh_seconds=60)
    deploy = Deploy(client, None)
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[0]}])
    channel = deploy.channel(acme, "edl-ip")
    deploy.ok_feed(acme, channel["id"])
    with hub.db.read() as conn:
        checked = channel_store.checked(conn, channel["id"]).at
    clock.advance(seconds=30)
    deploy.ok_feed(acme, channel["id"])  # nothing changed, within the interval: no recompute
    with hub.db.read() as conn:
        assert channel_store.checked(conn, channel["id"]).at == checked
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[1]}])  # a new report: recompute
    assert lines(deploy.ok_feed(acme, channel["id"]).content) == {IPS[0], IPS[1]}


def test_a_withdrawn_value_leaves_the_feed_at_once_and_the_delta_says_so(
    client: Any, hub: Any, member: Any
) -> None:
    """A withdrawal changes no report id, yet the next fetch, inside the interval, drops it."""
    hub.settings = hub.settings.with_(channel_refresh_seconds=3600)
    deploy = Deploy(client, None)
    acme, reader = member("Acme"), member("Reader")
    deploy.contribute(acme, [{"type": "ipv4", "value": ip} for ip in IPS[:2]])
    channel = deploy.channel(reader, "edl-ip")
    assert lines(deploy.ok_feed(reader, channel["id"]).content) == {IPS[0], IPS[1]}

    gone = client.delete(f"/api/v1/observables/ipv4/{IPS[0]}", headers=acme.auth)

    assert gone.status_code == 204, gone.text
    assert lines(deploy.ok_feed(reader, channel["id"]).content) == {IPS[1]}
    delta = _items_of(deploy, reader, channel["id"], since=1)
    assert (delta["from"], delta["to"], delta["added"], delta["removed"]) == (1, 2, [], [IPS[0]])


def _items_of(deploy: Deploy, member: Any, channel_id: int, since: int) -> dict[str, Any]:
    response = deploy.ok_feed(member, channel_id, since=str(since))
    assert response.headers["content-type"] == "application/json"
    assert "ETag" not in response.headers
    return orjson.loads(response.content)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_delta_applied_to_the_previous_version_reproduces_the_full_feed(
    deploy: Deploy, member: Any, clock: Any, fmt: str
) -> None:
    acme = member("Acme")
    items = mixed_items()
    deploy.contribute(acme, items[::2], confidence=90)
    deploy.contribute(acme, items[1::2], confidence=50)
    channel = deploy.channel(acme, fmt, name="deltas")
    spec = registry.get(fmt)
    full_v1 = deploy.ok_feed(acme, channel["id"])
    everything = _items_of(deploy, acme, channel["id"], since=0)
    assert (everything["from"], everything["to"], everything["removed"]) == (0, 1, [])
    v1_items = set(everything["added"])
    rebuilt_v1 = spec.assemble(
        v1_items,
        channel_name=channel["name"],
        version=1,
        generated=parse_timestamp(everything["generated"]),
    )
    assert rebuilt_v1 == full_v1.content

    # Version 2: new items arrive and the low-confidence half leaves the filter.
    clock.advance(hours=1)
    deploy.contribute(acme, [{"type": "ipv4", "value": "23.129.64.10"}], confidence=95)
    deploy.contribute(acme, [{"type": "sha256", "value": hashlib.sha256(b"v2").hexdigest()}])
    update = deploy.client.patch(
        f"/api/v1/channels/{channel['id']}",
        json={"filter": {"min_confidence": 60}},
        headers=acme.auth,
    )
    assert update.status_code == 200, update.text
    full_v2 = deploy.ok_feed(acme, channel["id"])
    assert full_v2.headers["X-Phalanx-Channel-Version"] == "2"
    change = _items_of(deploy, acme, channel["id"], since=1)
    assert (change["from"], change["to"]) == (1, 2)
    assert change["digest"] == full_v2.headers["X-Phalanx-Content-Digest"]
    assert change["removed"], "the filter change removes items"
    delta = Delta(frozenset(change["added"]), frozenset(change["removed"]))
    v2_items = apply(v1_items, delta)
    rebuilt_v2 = spec.assemble(
        v2_items,
        channel_name=channel["name"],
        version=2,
        generated=parse_timestamp(change["generated"]),
    )
    assert rebuilt_v2 == full_v2.content
    assert f"sha256:{hashlib.sha256(rebuilt_v2).hexdigest()}" == change["digest"]
    # Up to date: an empty delta; from scratch: everything of version 2.
    assert _items_of(deploy, acme, channel["id"], since=2)["added"] == []
    assert set(_items_of(deploy, acme, channel["id"], since=0)["added"]) == v2_items


def test_bad_since_is_refused_naming_the_field(deploy: Deploy, member: Any) -> None:
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[0]}])
    channel = deploy.channel(acme, "edl-ip")
    for since, reason in (("7", "has no version 7; its latest version is 1"), ("x", "version")):
        response = deploy.feed(acme, channel["id"], since=since)
        assert response.status_code == 422
        assert response.json()["field"] == "since"
        assert reason in response.json()["detail"]


def test_feeds_are_audited(deploy: Deploy, member: Any, hub: Any) -> None:
    from phalanx.audit.record import iter_entries

    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": IPS[0]}])
    channel = deploy.channel(acme, "edl-ip")
    etag = deploy.ok_feed(acme, channel["id"]).headers["ETag"]
    deploy.feed(acme, channel["id"], etag=etag)
    deploy.ok_feed(acme, channel["id"], since="0")
    with hub.db.read() as conn:
        fetches = [e for e in iter_entries(conn) if e.action == "channel.fetch"]
    assert [orjson.loads(e.details)["mode"] for e in fetches] == ["full", "not-modified", "delta"]
    assert {e.subject for e in fetches} == {f"channel:{channel['id']}"}
    assert {e.actor_org_id for e in fetches} == {acme.org_id}


def test_benign_values_are_excluded_unless_the_filter_keeps_them(
    deploy: Deploy, member: Any
) -> None:
    acme = member("Acme")
    documentation = "198.51.100.7"  # a reserved (documentation) range: benign by default
    deploy.contribute(acme, [{"type": "ipv4", "value": v} for v in (documentation, IPS[0])])
    careful = deploy.channel(acme, "csv")
    everything = deploy.channel(acme, "csv", filter={"exclude_benign": False})
    assert documentation not in deploy.ok_feed(acme, careful["id"]).text
    assert documentation in deploy.ok_feed(acme, everything["id"]).text
    # A block list never carries a benign value, whatever the filter says.
    block = deploy.channel(acme, "edl-ip", filter={"exclude_benign": False})
    assert lines(deploy.ok_feed(acme, block["id"]).content) == {IPS[0]}


def test_the_benign_index_is_pluggable(deploy: Deploy, member: Any) -> None:
    """A warninglist index plugs in as ``app.state.benign_index``."""

    class Listed:
        def reason(self, kind: Any, value: str) -> str | None:
            return "warninglist:test" if value == IPS[1] else None

    deploy.client.app.state.benign_index = Listed()
    acme = member("Acme")
    deploy.contribute(acme, [{"type": "ipv4", "value": v} for v in IPS[:2]])
    channel = deploy.channel(acme, "csv")
    text = deploy.ok_feed(acme, channel["id"]).text
    assert IPS[0] in text and IPS[1] not in text


def test_feed_of_another_member_is_not_found_like_an_unknown_one(
    deploy: Deploy, member: Any
) -> None:
    acme, bravo = member("Acme"), member("Bravo")
    channel = deploy.channel(acme, "edl-ip")
    theirs = deploy.feed(bravo, channel["id"])
    unknown = deploy.feed(bravo, 999_999)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"].replace(str(channel["id"]), "N") == unknown.json()[
        "detail"
    ].replace("999999", "N")
    assert deploy.feed(deploy.admin, channel["id"]).status_code == 404  # not the admin's feed


def test_the_hub_wide_benign_index_serves_api_and_refresh_alike(
    deploy: Deploy, member: Any
) -> None:
    from phalanx.channels.benign import RESERVED
    from phalanx.deployment import feeds as feed_service

    class Listed:
        def reason(self, kind: Any, value: str) -> str | None:
            return "warninglist:test" if value == IPS[0] else RESERVED.reason(kind, value)

    feed_service.set_benign_index(Listed())
    try:
        acme = member("Acme")
        deploy.contribute(acme, [{"type": "ipv4", "value": v} for v in IPS[:2]])
        channel = deploy.channel(acme, "edl-ip")
        assert lines(deploy.ok_feed(acme, channel["id"]).content) == {IPS[1]}
    finally:
        feed_service.set_benign_index(RESERVED)
    assert feed_service.benign_index() is RESERVED
