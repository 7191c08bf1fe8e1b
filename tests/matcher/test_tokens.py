"""The vectorised scan: which lines go where, and what probes they carry."""

from __future__ import annotations

import numpy as np

from phalanx.matcher.tokens import KEY_HOST, KEY_LINE, KEY_URL, parse_quads, scan


def texts(data: bytes, starts, ends) -> list[str]:  # type: ignore[no-untyped-def]
    return [data[s:e].decode() for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def test_lines_are_sorted_into_fast_slow_and_ipv6() -> None:
    data = b"evil.test\r\n198.51.100.7\n\nhello world\nevil.test.\n2001:db8::1\nhttp://A.test/x\nx@y.test\n"
    lines = scan(data)
    assert lines.fast.tolist() == [True, True, False, False, False, False, True, False]
    assert lines.slow.tolist() == [3, 4, 7]
    assert lines.ipv6.tolist() == [5]
    assert texts(lines.data, lines.starts, lines.ends)[0] == "evil.test"  # CRLF folded


def test_key_probes_cover_lines_urls_and_hosts() -> None:
    lines = scan(b"a.evil.test\nhttps://Cdn.Evil.Test/A/b?x=1\n")
    kinds = lines.key_kinds.tolist()
    assert kinds == [KEY_LINE, KEY_URL, KEY_HOST]
    assert texts(lines.data, lines.key_starts, lines.key_ends) == [
        "a.evil.test", "https://Cdn.Evil.Test/A/b?x=1", "Cdn.Evil.Test",
    ]  # fmt: skip


def test_suffix_probes_are_the_parents_of_names_and_hosts_only() -> None:
    lines = scan(b"a.b.evil.test\n198.51.100.7\nhttp://x.evil.test/p.php\nabcdef0123\n1.2.3.a4\n")
    suffixes = texts(lines.data, lines.suffix_starts, lines.suffix_ends)
    # plain lines first, then URL hosts; "1.2.3.a4" ends in a letter label: a name
    assert suffixes == [
        "b.evil.test",
        "evil.test",
        "test",
        "2.3.a4",
        "3.a4",
        "a4",
        "evil.test",
        "test",
    ]
    assert lines.suffix_lines.tolist() == [0, 0, 0, 4, 4, 4, 2, 2]


def test_quad_probes_carry_their_three_prefixes() -> None:
    lines = scan(b"198.51.100.7\nhttp://203.0.113.9/x\n1.2.3\nevil.test\n")
    assert lines.quad_lines.tolist() == [0, 1] and lines.quad_hosts.tolist() == [False, True]
    ends = lines.quad_prefix_ends
    starts = lines.quad_starts
    assert [lines.data[starts[i] : ends[i, k]].decode() for i in range(2) for k in range(3)] == [
        "198.", "198.51.", "198.51.100.", "203.", "203.0.", "203.0.113.",
    ]  # fmt: skip


def test_urls_needing_more_than_lowercasing_stay_on_the_slow_path() -> None:
    data = (
        b"\n".join(
            [
                b"http://evil.test/a?b=c&d=e",  # plain
                b"http://evil.test:8080/a",  # port
                b"http://user@evil.test/a",  # user info
                b"http://evil.test/a#frag",  # fragment
                b"http://evil.test/a%2fb",  # escape
                b"http://evil.test/a/./b",  # dot segment
                b"http://evil.test//a",  # empty segment
                b"http://evil.test?q=1",  # no path
                b"http://evil.test./a",  # trailing dot in host
                b"http://evil.test",  # no path (and the next line has one)
                b"http://evil.test/b",
            ]
        )
        + b"\n"
    )
    lines = scan(data)
    assert lines.url_lines.tolist() == [0, 10]
    assert lines.slow.tolist() == list(range(1, 10))


def test_dotted_quads_parse_only_when_canonical() -> None:
    data = b"198.51.100.7\n255.255.255.255\n010.1.2.3\n1.2.3.256\n0.0.0.0\n"
    lines = scan(data)
    values, valid = parse_quads(
        lines.data, lines.quad_starts, lines.quad_ends, lines.quad_prefix_ends
    )
    assert valid.tolist() == [True, True, False, False, True]
    assert values[valid].tolist() == [0xC6336407, 0xFFFFFFFF, 0]
    assert isinstance(values, np.ndarray)
