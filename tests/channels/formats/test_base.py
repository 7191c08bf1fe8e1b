"""Shared pieces of the format contract: ETags, slugs, header text."""

from __future__ import annotations

import re

import pytest

from phalanx.channels.formats.base import channel_slug, etag, header_text, sorted_text


def test_etag_is_a_strong_quoted_digest() -> None:
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag(b"feed"))
    assert etag(b"feed") == etag(b"feed") != etag(b"feed\n")


@pytest.mark.parametrize(
    "name", ["SOC Firewall", "soc-firewall", "Ümlaut ✓ /etc/passwd", "", "x" * 200]
)
def test_channel_slug_is_safe_and_distinct(name: str) -> None:
    slug = channel_slug(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}", slug)
    assert len(slug) <= 41


def test_slugs_of_similar_names_differ() -> None:
    assert channel_slug("SOC Firewall") != channel_slug("soc-firewall")


def test_header_text_is_one_printable_line() -> None:
    assert header_text("a\nb\r\x00ü") == "a?b???"
    assert len(header_text("x" * 500)) == 120


def test_sorted_text() -> None:
    assert sorted_text(["b", "a"]) == "a\nb\n"
    assert sorted_text([]) == ""
