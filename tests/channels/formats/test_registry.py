"""Every registered channel format: the contract checks each one gets for free.

* render == assemble(collect(entries)), and the same entries in any order give the same bytes;
* a delta (direct, or compacted from a change log) applied to the previous version's items
  assembles to byte-for-byte the full feed of the new version;
* block formats never carry PAP:AMBER/RED, benign or never_deploy entries, whatever the input.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.channels.delta import apply, changes, compact_changes, diff
from phalanx.channels.formats import registry
from phalanx.channels.formats.base import ChannelFormat
from phalanx.channels.model import DeliveryEntry, Use
from phalanx.errors import Unsupported
from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP, TLP

GENERATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NAMES = ["edl-ip", "edl-domain", "edl-url", "suricata", "rpz", "yara", "csv", "stix", "misp-feed"]

VALUES: list[tuple[str, str]] = [
    *(("ipv4", f"45.77.{i}.{i * 7 % 250 + 1}") for i in range(4)),
    ("ipv4", "10.0.0.1"),
    ("ipv6", "2a03:2880:f12f:83:face:b00c:0:25de"),
    ("cidr", "45.76.0.0/16"),
    ("cidr", "2a00:1450::/32"),
    *(("domain", f"{name}-phx.xyz") for name in ("evil", "bad", "c2")),
    ("domain", "a.b.login.bad-phx.co.uk"),
    ("domain", "printer.local"),
    ("url", "http://evil-phx.xyz/gate.php?id=1"),
    ("url", "https://bad-phx.xyz/" + "x" * 300),
    *(("md5", hashlib.md5(bytes([i])).hexdigest()) for i in range(2)),
    ("sha1", hashlib.sha1(b"x").hexdigest()),
    ("sha256", hashlib.sha256(b"x").hexdigest()),
    ("yara", 'rule same { strings: $a = "one" condition: $a }'),
    ("yara", 'rule same { strings: $a = "two" condition: $a }'),
    ("yara", "rule other\n{\n  condition:\n    filesize < 1\n}\n"),
    ("email", "ceo@bad-phx.co.uk"),
]

entries_strategy = st.lists(
    st.builds(
        lambda pair, **fields: DeliveryEntry(type=ObservableType(pair[0]), value=pair[1], **fields),
        st.sampled_from(VALUES),
        labels=st.lists(st.sampled_from(["c2", "phishing", "malware:emotet"]), unique=True).map(
            tuple
        ),
        confidence=st.none() | st.integers(0, 100),
        tlp=st.sampled_from(list(TLP)),
        pap=st.sampled_from(list(PAP)),
        report_ref=st.sampled_from(["report-1", "report-2"]),
        first_seen=st.just(datetime(2026, 11, 1, tzinfo=UTC)),
        benign=st.booleans(),
        never_deploy=st.none() | st.just("warninglist"),
    ),
    max_size=12,
)


def spec_of(name: str) -> ChannelFormat:
    return registry.get(name)


def test_registered_names() -> None:
    assert sorted(registry.formats()) == sorted(NAMES)


def test_duplicate_names_and_non_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="two channel formats are named 'rpz'"):
        registry.build_registry([spec_of("rpz"), spec_of("rpz")])
    with pytest.raises(TypeError, match="not a ChannelFormat"):
        registry.build_registry([object()])


def test_unknown_format_is_unsupported() -> None:
    with pytest.raises(Unsupported, match="unknown channel format 'stix20'; use one of csv"):
        registry.get("stix20")


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_complete(name: str) -> None:
    spec = spec_of(name)
    assert spec.kinds and spec.media_type and spec.extension.startswith(".")
    assert spec.description
    files = spec.render_files([], channel_name="c", version=1, generated=GENERATED)
    endings = (".rules", ".lst", ".json", ".csv", spec.extension)
    assert files and all(name.endswith(endings) for name in files)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(previous=entries_strategy, current=entries_strategy, data=st.data())
def test_delta_applied_to_previous_version_reproduces_the_full_feed(
    name: str, previous: list[DeliveryEntry], current: list[DeliveryEntry], data: st.DataObject
) -> None:
    spec = spec_of(name)
    old = spec.build(previous, channel_name="ch", version=1, generated=GENERATED)
    new = spec.build(current, channel_name="ch", version=2, generated=GENERATED)
    delta = diff(old.items, new.items)
    log = changes(1, diff(frozenset(), old.items)) + changes(2, delta)
    compacted = compact_changes(data.draw(st.permutations(log)), since=1)
    for patched in (apply(old.items, delta), apply(old.items, compacted)):
        rebuilt = spec.assemble(patched, channel_name="ch", version=2, generated=GENERATED)
        assert rebuilt == new.content
    shuffled = data.draw(st.permutations(current))
    assert spec.render(shuffled, channel_name="ch", version=2, generated=GENERATED) == new.content


@pytest.mark.parametrize("name", [n for n in NAMES if spec_of(n).use is Use.BLOCK])
@settings(max_examples=60, deadline=None)
@given(entries=entries_strategy)
def test_block_formats_ignore_entries_under_the_floor(
    name: str, entries: list[DeliveryEntry]
) -> None:
    spec = spec_of(name)
    deployable = [
        e
        for e in entries
        if e.pap in (PAP.GREEN, PAP.CLEAR) and not e.benign and e.never_deploy is None
    ]
    assert (
        spec.collect(entries, channel_name="ch").items
        == spec.collect(deployable, channel_name="ch").items
    )
