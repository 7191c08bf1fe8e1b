"""Builders for channel tests: delivery entries with public (never-block-safe) values.

Documentation prefixes (198.51.100.0/24, example.com) are on the never-block table, so they
would be skipped by every blocking format; these tests use ordinary public-looking values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from phalanx.channels.model import DeliveryEntry
from phalanx.observables.kinds import ObservableType
from phalanx.policy.markings import PAP, TLP

GENERATED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def make_entry(kind: ObservableType | str, value: str, **fields: Any) -> DeliveryEntry:
    """A deliverable entry (PAP:GREEN, TLP:GREEN, confidence 80) unless fields say otherwise."""
    defaults: dict[str, Any] = {
        "labels": ("c2", "malware:emotet"),
        "confidence": 80,
        "tlp": TLP.GREEN,
        "pap": PAP.GREEN,
        "report_ref": "report-123",
        "first_seen": FIRST_SEEN,
    }
    defaults.update(fields)
    return DeliveryEntry(type=ObservableType(kind), value=value, **defaults)


@pytest.fixture(scope="session")
def generated() -> datetime:
    """The pinned time a channel version was minted."""
    return GENERATED


@pytest.fixture(scope="session")
def first_seen() -> datetime:
    """The default first_seen of built entries."""
    return FIRST_SEEN


@pytest.fixture(scope="session")
def entry() -> Callable[..., DeliveryEntry]:
    """Build a delivery entry: ``entry("domain", "evil-phx.xyz", pap=PAP.RED)``."""
    return make_entry


@pytest.fixture(scope="session")
def mixed_entries() -> list[DeliveryEntry]:
    """One or two deliverable entries of every kind the formats carry."""
    return [
        make_entry("ipv4", "45.77.1.2"),
        make_entry("ipv4", "185.220.101.7"),
        make_entry("ipv6", "2a03:2880:f12f:83:face:b00c:0:25de"),
        make_entry("cidr", "45.77.0.0/16"),
        make_entry("cidr", "2a00:1450::/32"),
        make_entry("domain", "evil-phx.xyz"),
        make_entry("domain", "login.bad-phx.co.uk"),
        make_entry("url", "http://evil-phx.xyz/gate.php?id=1"),
        make_entry("url", "https://cdn.bad-phx.co.uk/a/b"),
        make_entry("md5", "0cc175b9c0f1b6a831c399e269772661"),
        make_entry("sha1", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
        make_entry("sha256", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
        make_entry(
            "yara",
            'rule phx_test_strings\n{\n  strings:\n    $a = "evil-phx"\n  condition:\n    $a\n}\n',
        ),
        make_entry("email", "ceo@bad-phx.co.uk"),
    ]
