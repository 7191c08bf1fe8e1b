"""Suricata bundles, judged by suricataparser and idstools, plus the datasets they load."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import suricataparser
from idstools import rule as idstools_rule

from phalanx.channels.formats import suricata, tarball
from phalanx.channels.model import DeliveryEntry
from phalanx.policy.markings import PAP

EntryFactory = Callable[..., DeliveryEntry]
CHANNEL = "sensor fleet"
PROTOCOLS = {"dns", "tls", "http", "ip", "ftp-data", "nfs", "smb", "smtp"}
STICKY_BUFFERS = {"dns.query", "tls.sni", "http.host", "ip.src", "ip.dst"}
_DATASET = re.compile(
    r"isset,(?P<name>[a-z0-9-]+), type (?P<type>string|ip), load (?P<load>[a-z0-9.-]+), "
    r"memcap (?P<memcap>\d+)mb, hashsize (?P<hashsize>\d+)"
)


def rule_lines(files: dict[str, bytes]) -> list[str]:
    text = files[suricata.file_names(CHANNEL)["rules"]].decode("ascii")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def parse_both(line: str) -> tuple[Any, dict[str, Any]]:
    """Parse with both parsers and check they agree on header and options."""
    parsed = suricataparser.parse_rule(line)
    other = idstools_rule.parse(line)
    assert parsed is not None and other is not None, line
    options = [(option.name, option.value) for option in parsed.options]
    assert options == [(option["name"], option["value"]) for option in other["options"]]
    assert (parsed.sid, parsed.rev, parsed.msg) == (other["sid"], other["rev"], other["msg"])
    return parsed, other


@pytest.fixture
def bundle(mixed_entries: list[DeliveryEntry], generated: datetime) -> dict[str, bytes]:
    return suricata.render_files(
        mixed_entries, channel_name=CHANNEL, version=5, generated=generated
    )


def test_every_rule_parses_with_unique_private_sids(bundle: dict[str, bytes]) -> None:
    sids = []
    for line in rule_lines(bundle):
        parsed, other = parse_both(line)
        assert parsed.action == "alert"
        assert other["proto"] in PROTOCOLS
        assert other["direction"] in {"->", "<>"}
        assert parsed.rev == suricata.RULE_REVISION
        assert line.endswith(f"sid:{parsed.sid}; rev:{parsed.rev};)")
        sids.append(parsed.sid)
    assert len(sids) == len(set(sids)) == 3 * 2 + 2 + 2 + 3 * len(suricata.FILE_PROTOCOLS)
    assert all(suricata.SID_BASE <= sid < suricata.SID_BASE + suricata.SID_SPAN for sid in sids)


def test_dataset_options_name_files_of_the_bundle(bundle: dict[str, bytes]) -> None:
    types = {}
    for line in rule_lines(bundle):
        parsed, _ = parse_both(line)
        options = dict((o.name, o.value) for o in parsed.options)
        if "dataset" not in options:
            continue
        match = _DATASET.fullmatch(options["dataset"])
        assert match, options["dataset"]
        assert match["load"] in bundle
        assert match["name"] == match["load"].removesuffix(".lst")
        assert int(match["hashsize"]) >= 1024
        names = [o.name for o in parsed.options]
        # The sticky buffer (and pcrexform for domains) come right before the dataset.
        buffer = names[names.index("dataset") - (2 if "pcrexform" in names else 1)]
        assert buffer in STICKY_BUFFERS
        types[buffer] = match["type"]
    assert types == {
        "dns.query": "string",
        "tls.sni": "string",
        "http.host": "string",
        "ip.src": "ip",
        "ip.dst": "ip",
    }


def test_dataset_files_decode_to_the_entries(bundle: dict[str, bytes]) -> None:
    names = suricata.file_names(CHANNEL)
    domains = {
        base64.b64decode(line, validate=True).decode() for line in bundle[names["domains"]].split()
    }
    assert domains == {"evil-phx.xyz", "login.bad-phx.co.uk"}
    ips = {ipaddress.ip_address(line.decode()) for line in bundle[names["ips"]].split()}
    assert ips == {
        ipaddress.ip_address("45.77.1.2"),
        ipaddress.ip_address("185.220.101.7"),
        ipaddress.ip_address("2a03:2880:f12f:83:face:b00c:0:25de"),
    }
    assert bundle[names["md5"]] == b"0cc175b9c0f1b6a831c399e269772661\n"
    assert bundle[names["sha1"]] == b"86f7e437faa5a7fce15d1ddcb9eaeaea377667b8\n"
    sha256 = b"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\n"
    assert bundle[names["sha256"]] == sha256


def test_file_hash_rules_load_lists_of_the_bundle(bundle: dict[str, bytes]) -> None:
    keywords = {}
    for line in rule_lines(bundle):
        parsed, other = parse_both(line)
        for option in parsed.options:
            if option.name in {"filemd5", "filesha1", "filesha256"}:
                assert option.value in bundle
                keywords.setdefault(option.name, set()).add(other["proto"])
    assert keywords == {
        name: set(suricata.FILE_PROTOCOLS) for name in ("filemd5", "filesha1", "filesha256")
    }


def test_cidrs_get_bidirectional_rules(bundle: dict[str, bytes]) -> None:
    networks = set()
    for line in rule_lines(bundle):
        _, other = parse_both(line)
        if other["direction"] == "<>":
            networks.add(ipaddress.ip_network(other["dest_addr"]))
    assert networks == {
        ipaddress.ip_network("45.77.0.0/16"),
        ipaddress.ip_network("2a00:1450::/32"),
    }


def detects(bundle: dict[str, bytes], buffer: str, query: str) -> bool:
    """Emulate the domain rules: pcrexform cut, then a base64 lookup in the string set."""
    members = set(bundle[suricata.file_names(CHANNEL)["domains"]].split())
    for line in rule_lines(bundle):
        parsed, _ = parse_both(line)
        options = dict((o.name, o.value) for o in parsed.options)
        if buffer not in options or "pcrexform" not in options:
            continue
        # PCRE and Python agree on this regex subset (classes, groups, counted repeats, $).
        match = re.search(options["pcrexform"].strip('"'), query)
        if match and base64.b64encode(match.group(1).encode()) in members:
            return True
    return False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("evil-phx.xyz", True),
        ("www.evil-phx.xyz", True),
        ("a.b.c.evil-phx.xyz", True),
        ("login.bad-phx.co.uk", True),
        ("x.login.bad-phx.co.uk", True),
        ("bad-phx.co.uk", False),
        ("notevil-phx.xyz", False),
        ("evil-phx.xyz.attacker.net", False),
        ("xyz", False),
    ],
)
@pytest.mark.parametrize("buffer", ["dns.query", "tls.sni", "http.host"])
def test_domain_rules_catch_names_and_subdomains_only(
    bundle: dict[str, bytes], buffer: str, query: str, expected: bool
) -> None:
    assert detects(bundle, buffer, query) is expected


def test_sids_are_stable_per_channel_and_differ_between_channels(
    mixed_entries: list[DeliveryEntry], entry: EntryFactory, generated: datetime
) -> None:
    def sids(entries: list[DeliveryEntry], channel: str) -> dict[str, int]:
        files = suricata.render_files(entries, channel_name=channel, version=1, generated=generated)
        rules = files[suricata.file_names(channel)["rules"]].decode().splitlines()
        parsed = [suricataparser.parse_rule(line) for line in rules if line.startswith("alert")]
        return {rule.msg.split(": ", 1)[1]: rule.sid for rule in parsed if rule is not None}

    before = sids(mixed_entries, CHANNEL)
    after = sids([*mixed_entries, entry("cidr", "91.198.0.0/16")], CHANNEL)
    assert len(after) == len(before) + 1
    assert {msg: after[msg] for msg in before} == before
    assert not set(before.values()) & set(sids(mixed_entries, "another channel").values())


def test_rules_do_not_change_with_version_and_only_header_names_it(
    mixed_entries: list[DeliveryEntry], generated: datetime
) -> None:
    first = suricata.render_files(
        mixed_entries, channel_name=CHANNEL, version=1, generated=generated
    )
    second = suricata.render_files(
        mixed_entries, channel_name=CHANNEL, version=2, generated=generated
    )
    assert rule_lines(first) == rule_lines(second)
    assert b"# version 2," in second[suricata.file_names(CHANNEL)["rules"]]


def test_render_is_a_reproducible_tarball_of_the_files(
    mixed_entries: list[DeliveryEntry], bundle: dict[str, bytes], generated: datetime
) -> None:
    body = suricata.render(
        mixed_entries[::-1], channel_name=CHANNEL, version=5, generated=generated
    )
    assert body == suricata.render(
        mixed_entries, channel_name=CHANNEL, version=5, generated=generated
    )
    assert tarball.unpack(body) == bundle


def test_only_non_empty_lists_get_files_and_rules(entry: EntryFactory, generated: datetime) -> None:
    files = suricata.render_files(
        [entry("domain", "evil-phx.xyz")], channel_name=CHANNEL, version=1, generated=generated
    )
    names = suricata.file_names(CHANNEL)
    assert set(files) == {names["rules"], names["domains"]}
    assert len(rule_lines(files)) == 3
    empty = suricata.render_files([], channel_name=CHANNEL, version=1, generated=generated)
    assert set(empty) == {names["rules"]} and rule_lines(empty) == []


def test_block_floor_and_never_block_values(entry: EntryFactory) -> None:
    collected = suricata.collect(
        [
            entry("domain", "amber-phx.xyz", pap=PAP.AMBER),
            entry("ipv4", "45.77.1.2", pap=PAP.RED),
            entry(
                "sha256",
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
                never_deploy="fp",
            ),
            entry("md5", "d41d8cd98f00b204e9800998ecf8427e"),
            entry("md5", "0CC175B9C0F1B6A831C399E269772661"),
            entry("ipv4", "192.168.1.1"),
            entry("url", "http://evil-phx.xyz/"),
            entry("sha512", "a" * 128),
        ],
        channel_name=CHANNEL,
    )
    assert collected.items == frozenset()
    assert collected.skipped == {
        "empty-file-hash": 1,
        "invalid": 1,
        "never-deploy": 1,
        "pap-forbids-blocking": 2,
        "reserved-range": 1,
        "unsupported-kind": 2,
    }


def test_channel_name_cannot_break_rules(entry: EntryFactory, generated: datetime) -> None:
    channel = 'x"; pcre:"/a/"; sid:1; rev:1;) \n alert ip any any -> any any (msg:"'
    files = suricata.render_files(
        [entry("ipv4", "45.77.1.2")], channel_name=channel, version=1, generated=generated
    )
    rules = files[suricata.file_names(channel)["rules"]].decode().splitlines()
    alerts = [line for line in rules if not line.startswith("#")]
    assert len(alerts) == 2
    for line in alerts:
        parsed = suricataparser.parse_rule(line)
        assert parsed is not None
        assert [o.name for o in parsed.options][:2] == ["msg", "ip.src"] or [
            o.name for o in parsed.options
        ][:2] == ["msg", "ip.dst"]
