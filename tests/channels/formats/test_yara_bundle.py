"""YARA bundles, compiled by yara-python and run against files whose hashes they list."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import yara

from phalanx.channels.formats import yara_bundle
from phalanx.channels.model import DeliveryEntry
from phalanx.policy.markings import PAP

EntryFactory = Callable[..., DeliveryEntry]
CHANNEL = "mail gateway"
MALWARE = b"MZ\x90\x00 pretend payload for the phalanx yara test\n"
OTHER = b"MZ\x90\x00 an innocent file\n"


def compile_bundle(body: bytes) -> yara.Rules:
    return yara.compile(source=body.decode("utf-8"), includes=False)


def matched(rules: yara.Rules, path: Path) -> set[str]:
    return {match.rule for match in rules.match(data=path.read_bytes())}


def test_hash_rules_match_the_listed_file_and_nothing_else(
    entry: EntryFactory, generated: datetime, tmp_path: Path
) -> None:
    sample, innocent = tmp_path / "sample.bin", tmp_path / "innocent.bin"
    sample.write_bytes(MALWARE)
    innocent.write_bytes(OTHER)
    digests = {kind: hashlib.new(kind, MALWARE).hexdigest() for kind in ("md5", "sha1", "sha256")}
    entries = [entry(kind, digest) for kind, digest in digests.items()]
    entries.append(entry("sha256", hashlib.sha256(b"something else").hexdigest()))
    rules = compile_bundle(
        yara_bundle.render(entries, channel_name=CHANNEL, version=2, generated=generated)
    )
    assert matched(rules, sample) == {f"phx_{kind}_{digest}" for kind, digest in digests.items()}
    assert matched(rules, innocent) == set()


def test_hash_rule_meta(entry: EntryFactory, generated: datetime) -> None:
    digest = hashlib.sha256(MALWARE).hexdigest()
    source = yara_bundle.render(
        [entry("sha256", digest, labels=("malware:emotet",), report_ref='report-"7"\\')],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    (match,) = compile_bundle(source).match(data=MALWARE)
    assert match.meta == {
        "source": "Phalanx",
        "tlp": "TLP:GREEN",
        "pap": "PAP:GREEN",
        "report": 'report-"7"\\',
        "labels": "malware:emotet",
        "first_seen": "2026-11-01T08:30:00.000000Z",
        "confidence": 80,
    }


def test_contributed_rules_are_carried_and_clashing_names_renamed(
    entry: EntryFactory, generated: datetime
) -> None:
    first = 'rule shared { strings: $a = "pretend payload" condition: $a }'
    second = (
        'import "pe"\n'
        "private rule shared { condition: filesize < 10 }\n"
        "rule uses_shared { condition: shared or pe.number_of_sections > 100 }\n"
    )
    third = '// rule shared in a comment\nrule solo { strings: $s = "rule shared" condition: $s }'
    body = yara_bundle.render(
        [entry("yara", first), entry("yara", second), entry("yara", third)],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    rules = compile_bundle(body)
    names = {match.rule for match in rules.match(data=MALWARE)}
    assert len(names) == 1 and names.pop().endswith("_shared")
    assert {match.rule for match in rules.match(data=b"rule shared")} == {"solo"}
    text = body.decode()
    assert "// rule shared in a comment" in text and "rule shared {" not in text
    assert "pe.number_of_sections" in text


def test_contributed_rule_named_like_a_generated_rule_is_renamed(
    entry: EntryFactory, generated: datetime
) -> None:
    digest = hashlib.md5(MALWARE).hexdigest()
    clash = f"rule phx_md5_{digest} {{ condition: true }}"
    body = yara_bundle.render(
        [entry("md5", digest), entry("yara", clash)],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    names = {match.rule for match in compile_bundle(body).match(data=MALWARE)}
    assert f"phx_md5_{digest}" in names and len(names) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("global rule gate { condition: false }", "yara-global-rule"),
        ('include "/etc/passwd"\nrule x { condition: true }', "yara-include"),
        ("rule broken { condition: }", "yara-syntax"),
        ("rule a { condition: true }\nrule a { condition: true }", "yara-syntax"),
        ("rule needs_other { condition: other_rule }", "yara-syntax"),
        ("/* no rule here */", "yara-no-rule"),
        ('rule lone { strings: $a = "\ud800" condition: $a }', "invalid-text"),
    ],
)
def test_unsafe_or_broken_contributed_rules_are_skipped(
    entry: EntryFactory, generated: datetime, text: str, reason: str
) -> None:
    good = 'rule good { strings: $a = "pretend" condition: $a }'
    build = yara_bundle.FORMAT.build(
        [entry("yara", text), entry("yara", good)],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    assert build.skipped == {reason: 1}
    assert {m.rule for m in compile_bundle(build.content).match(data=MALWARE)} == {"good"}


def test_detection_follows_filter_but_never_deploy_and_empty_hashes_stay_out(
    entry: EntryFactory,
) -> None:
    collected = yara_bundle.collect(
        [
            entry("sha256", hashlib.sha256(b"red").hexdigest(), pap=PAP.RED),
            entry("sha256", hashlib.sha256(b"fp").hexdigest(), never_deploy="false positive"),
            entry("md5", "d41d8cd98f00b204e9800998ecf8427e"),
            entry("sha256", "not-a-hash"),
            entry("domain", "evil-phx.xyz"),
        ],
        channel_name=CHANNEL,
    )
    assert [rule.split()[1] for rule in collected.items] == [
        f"phx_sha256_{hashlib.sha256(b'red').hexdigest()}"
    ]
    assert collected.skipped == {
        "empty-file-hash": 1,
        "invalid": 1,
        "never-deploy": 1,
        "unsupported-kind": 1,
    }


def test_duplicate_hash_entries_merge_into_one_rule(
    entry: EntryFactory, generated: datetime
) -> None:
    digest = hashlib.sha256(MALWARE).hexdigest()
    body = yara_bundle.render(
        [
            entry("sha256", digest, report_ref="report-1"),
            entry("sha256", digest, report_ref="report-2"),
        ],
        channel_name=CHANNEL,
        version=1,
        generated=generated,
    )
    (match,) = compile_bundle(body).match(data=MALWARE)
    assert match.meta["report"] == "report-1 report-2"


def test_channel_name_cannot_break_the_bundle(entry: EntryFactory, generated: datetime) -> None:
    body = yara_bundle.render(
        [entry("md5", hashlib.md5(MALWARE).hexdigest())],
        channel_name="x\nrule evil { condition: true }",
        version=1,
        generated=generated,
    )
    assert len(compile_bundle(body).match(data=OTHER)) == 0
