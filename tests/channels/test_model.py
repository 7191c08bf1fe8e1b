"""Channel filters, the deployment rule per use, selection and duplicate merging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from phalanx.channels.model import (
    ChannelFilter,
    DeliveryEntry,
    Use,
    floor_reason,
    merge_duplicates,
    select_entries,
)
from phalanx.errors import InvalidInput
from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP, TLP

EntryFactory = Callable[..., DeliveryEntry]

ALL_KINDS = frozenset(ObservableType)


def test_default_filter_excludes_pap_red_and_benign(entry: EntryFactory) -> None:
    accepts = ChannelFilter().accepts
    assert accepts(entry("domain", "evil-phx.xyz"))
    assert not accepts(entry("domain", "evil-phx.xyz", pap=PAP.RED))
    assert not accepts(entry("domain", "evil-phx.xyz", benign=True))
    assert accepts(entry("domain", "evil-phx.xyz", pap=PAP.AMBER))


def test_filter_can_let_pap_red_and_benign_through(entry: EntryFactory) -> None:
    relaxed = ChannelFilter(exclude_pap_red=False, exclude_benign=False)
    assert relaxed.accepts(entry("domain", "evil-phx.xyz", pap=PAP.RED, benign=True))


def test_kinds(entry: EntryFactory) -> None:
    only_ips = ChannelFilter(kinds=frozenset({ObservableType.IPV4}))
    assert only_ips.accepts(entry("ipv4", "45.77.1.2"))
    assert not only_ips.accepts(entry("domain", "evil-phx.xyz"))


@pytest.mark.parametrize(
    ("patterns", "labels", "expected"),
    [
        ({"c2"}, ("c2",), True),
        ({"c2"}, ("phishing",), False),
        ({"malware:*"}, ("malware:emotet",), True),
        ({"malware:*"}, ("malware",), False),
        ({"malware:*"}, ("c2", "malware:qakbot"), True),
        ({"attack:t1071*"}, ("attack:T1071.001",), True),
        ({"C2"}, ("c2",), True),
        ({"c2", "phishing"}, (), False),
    ],
)
def test_labels_match_any_listed_label_or_prefix(
    entry: EntryFactory, patterns: set[str], labels: tuple[str, ...], expected: bool
) -> None:
    channel_filter = ChannelFilter(labels=frozenset(patterns))
    assert channel_filter.accepts(entry("domain", "evil-phx.xyz", labels=labels)) is expected


@pytest.mark.parametrize("pattern", ["*", "mal*ware", "a**", " "])
def test_bad_label_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidInput, match="label pattern"):
        ChannelFilter(labels=frozenset({pattern}))


def test_min_confidence_and_unknown_confidence(entry: EntryFactory) -> None:
    channel_filter = ChannelFilter(min_confidence=70)
    assert channel_filter.accepts(entry("domain", "evil-phx.xyz", confidence=70))
    assert not channel_filter.accepts(entry("domain", "evil-phx.xyz", confidence=69))
    assert not channel_filter.accepts(entry("domain", "evil-phx.xyz", confidence=None))
    with pytest.raises(InvalidInput, match="min_confidence"):
        ChannelFilter(min_confidence=101)


def test_tlp_ceiling(entry: EntryFactory) -> None:
    channel_filter = ChannelFilter(max_tlp=TLP.AMBER)
    assert channel_filter.accepts(entry("domain", "evil-phx.xyz", tlp=TLP.AMBER))
    assert channel_filter.accepts(entry("domain", "evil-phx.xyz", tlp=TLP.CLEAR))
    assert not channel_filter.accepts(entry("domain", "evil-phx.xyz", tlp=TLP.AMBER_STRICT))
    assert not channel_filter.accepts(entry("domain", "evil-phx.xyz", tlp=TLP.RED))


@pytest.mark.parametrize(
    ("pap", "use", "reason"),
    [
        (PAP.CLEAR, Use.BLOCK, None),
        (PAP.GREEN, Use.BLOCK, None),
        (PAP.AMBER, Use.BLOCK, "pap-forbids-blocking"),
        (PAP.RED, Use.BLOCK, "pap-forbids-blocking"),
        (PAP.AMBER, Use.DETECT, None),
        (PAP.RED, Use.DETECT, None),
        (PAP.RED, Use.LOOKUP, None),
    ],
)
def test_floor_by_pap(entry: EntryFactory, pap: PAP, use: Use, reason: str | None) -> None:
    assert floor_reason(entry("domain", "evil-phx.xyz", pap=pap), use) == reason


@pytest.mark.parametrize("use", list(Use))
def test_never_deploy_is_kept_out_of_every_use(entry: EntryFactory, use: Use) -> None:
    blocked = entry("domain", "evil-phx.xyz", never_deploy="warninglist: tranco")
    assert floor_reason(blocked, use) == "never-deploy"


def test_benign_never_goes_to_block_lists(entry: EntryFactory) -> None:
    benign = entry("domain", "evil-phx.xyz", benign=True)
    assert floor_reason(benign, Use.BLOCK) == "benign"
    assert floor_reason(benign, Use.LOOKUP) is None


def test_select_applies_floor_even_when_filter_is_permissive(entry: EntryFactory) -> None:
    entries = [
        entry("domain", "green-phx.xyz"),
        entry("domain", "amber-phx.xyz", pap=PAP.AMBER),
        entry("domain", "red-phx.xyz", pap=PAP.RED),
        entry("domain", "never-phx.xyz", never_deploy="member's own domain"),
        entry("ipv4", "45.77.1.2"),
    ]
    permissive = ChannelFilter(exclude_pap_red=False, exclude_benign=False)
    kinds = frozenset({ObservableType.DOMAIN})
    blocked = select_entries(entries, permissive, use=Use.BLOCK, kinds=kinds)
    assert [e.value for e in blocked] == ["green-phx.xyz"]
    detected = select_entries(entries, permissive, use=Use.DETECT, kinds=kinds)
    assert [e.value for e in detected] == ["green-phx.xyz", "amber-phx.xyz", "red-phx.xyz"]
    default = select_entries(entries, ChannelFilter(), use=Use.LOOKUP, kinds=ALL_KINDS)
    assert [e.value for e in default] == ["green-phx.xyz", "amber-phx.xyz", "45.77.1.2"]


def test_merge_duplicates_takes_the_most_careful_reading(
    entry: EntryFactory, first_seen: datetime
) -> None:
    later = first_seen + timedelta(days=3)
    merged = merge_duplicates(
        [
            entry("sha256", "b" * 64),
            entry("md5", "a" * 32, labels=("c2",), confidence=None, report_ref="report-9"),
            entry(
                "md5",
                "a" * 32,
                labels=("payload",),
                confidence=60,
                tlp=TLP.AMBER,
                pap=PAP.AMBER,
                report_ref="report-2",
                first_seen=later,
                never_deploy="empty file",
            ),
        ]
    )
    assert [(e.type, e.value) for e in merged] == [
        (ObservableType.MD5, "a" * 32),
        (ObservableType.SHA256, "b" * 64),
    ]
    md5 = merged[0]
    assert md5 == DeliveryEntry(
        type=ObservableType.MD5,
        value="a" * 32,
        labels=("c2", "payload"),
        confidence=60,
        tlp=TLP.AMBER,
        pap=PAP.AMBER,
        report_ref="report-2 report-9",
        first_seen=first_seen,
        never_deploy="empty file",
    )


def test_context_only_values_never_reach_blocking_or_detection(entry: EntryFactory) -> None:
    context = entry("domain", "evil-phx.xyz", labels=("c2", "no-ids"))
    assert floor_reason(context, Use.BLOCK) == "not-for-detection"
    assert floor_reason(context, Use.DETECT) == "not-for-detection"
    assert floor_reason(context, Use.LOOKUP) is None


def test_one_detection_report_outweighs_context_only_ones(entry: EntryFactory) -> None:
    context = entry("domain", "evil-phx.xyz", labels=("no-ids",), report_ref="report-1")
    detect = entry("domain", "evil-phx.xyz", labels=("c2",), report_ref="report-2")
    (merged,) = merge_duplicates([context, detect])
    assert merged.labels == ("c2",)
    (both,) = merge_duplicates([context, entry("domain", "evil-phx.xyz", labels=("no-ids",))])
    assert both.labels == ("no-ids",)
