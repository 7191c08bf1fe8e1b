"""Fixtures for the matcher tests: the sample log files and an index of the IOCs in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from phalanx.matcher import MatchIndex, build_index
from phalanx.observables.kinds import ObservableType as T

SAMPLES = Path(__file__).parent / "samples"

# The indicators the sample logs were written around (documentation ranges and .test names).
SAMPLE_INDICATORS = [
    (1, T.IPV4, "198.51.100.7"),
    (2, T.DOMAIN, "evil.test"),
    (3, T.DOMAIN, "cdn.evil.test"),
    (4, T.CIDR, "203.0.113.0/24"),
    (5, T.CIDR, "203.0.113.64/26"),
    (6, T.URL, "http://dl.evil.test/payload/Stage2.bin?id=7"),
    (7, T.SHA256, "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
    (8, T.MD5, "5d41402abc4b2a76b9719d911017c592"),
    (9, T.SHA1, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    (10, T.IPV6, "2001:db8:bad::1"),
    (11, T.CIDR, "2001:db8:bad::/48"),
    (12, T.DOMAIN, "phish.example"),
    (13, T.EMAIL, "billing@phish.example"),
    (14, T.URL, "https://login.phish.example/Account/Verify"),
]


@pytest.fixture(scope="session")
def samples() -> Path:
    """The directory of sample logs."""
    return SAMPLES


@pytest.fixture(scope="session")
def sample_index() -> MatchIndex:
    """An index over ``SAMPLE_INDICATORS`` (fixed seed)."""
    return build_index(SAMPLE_INDICATORS, seed=1234)
