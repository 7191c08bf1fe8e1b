"""Deterministic ids: spec-notes §2.2 vectors and agreement with python-stix2's SCO ids."""

from __future__ import annotations

import ipaddress

import pytest
import stix2
from hypothesis import given, settings
from hypothesis import strategies as st

from phalanx.observables import Observable, ObservableType, normalize
from phalanx.observables.ids import key_of_uid, observable_key, observable_uid, stix_sco_id

T = ObservableType


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (T.IPV4, "198.51.100.3", "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"),
        (T.IPV4, "198.51.100.2", "ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b"),
        (T.DOMAIN, "example.com", "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"),
        (
            T.URL,
            "https://example.com/research/index.html",
            "url--47c3cf9a-5027-5bf0-997a-017c7edc7c55",
        ),
        (T.EMAIL, "john@example.com", "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934"),
        # The vectors hash the literal strings, non-canonical spellings included (gotcha 4).
        (
            T.IPV6,
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f",
        ),
        (T.CIDR, "2001:0db8::/96", "ipv6-addr--084d3b4c-7785-568a-a569-0c61c95754ab"),
    ],
)
def test_spec_notes_vectors(kind: ObservableType, value: str, expected: str) -> None:
    obs = Observable(kind, value)
    assert stix_sco_id(obs) == expected
    assert observable_key(obs) == key_of_uid(observable_uid(obs))


def test_canonicalising_first_merges_spellings_that_stix_would_split() -> None:
    spellings = ["2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:DB8:85A3::8A2E:370:7334"]
    ids = {stix_sco_id(normalize(spelling, T.IPV6)) for spelling in spellings}
    assert len(ids) == 1
    assert ids != {"ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f"}


def test_file_hash_vector_matches_stix2_for_the_hash_alone() -> None:
    digest = "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"
    expected = stix2.File(hashes={"SHA-256": digest}).id
    assert stix_sco_id(normalize(digest, T.SHA256)) == expected


def test_rule_kinds_have_no_sco_but_a_stable_uid() -> None:
    rule = normalize('alert tcp any any -> any any (msg:"x"; sid:1;)', T.SURICATA)
    assert stix_sco_id(rule) is None
    assert observable_uid(rule) == observable_uid(Observable(T.SURICATA, rule.value))
    assert observable_uid(rule).version == 5


labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
names = st.lists(labels, min_size=1, max_size=3).map(lambda parts: ".".join([*parts, "example"]))


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.integers(0x0B000000, 0x5FFFFFFF).map(
            lambda n: (T.IPV4, str(ipaddress.IPv4Address(n)), stix2.IPv4Address)
        ),
        st.integers(0x2A00 << 112, (0x2A10 << 112) - 1).map(
            lambda n: (T.IPV6, str(ipaddress.IPv6Address(n)), stix2.IPv6Address)
        ),
        names.map(lambda name: (T.DOMAIN, name, stix2.DomainName)),
        names.map(lambda name: (T.URL, f"https://{name}/a?b=c", stix2.URL)),
        names.map(lambda name: (T.EMAIL, f"x@{name}", stix2.EmailAddress)),
    )
)
def test_sco_ids_equal_python_stix2_for_canonical_values(case: tuple[T, str, type]) -> None:
    kind, value, sco_class = case
    obs = normalize(value, kind)
    assert obs.value == value
    assert stix_sco_id(obs) == sco_class(value=value).id
    assert observable_key(obs) == key_of_uid(observable_uid(obs))


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.binary(min_size=32, max_size=32))
def test_hash_sco_ids_equal_python_stix2(md5: bytes, sha256: bytes) -> None:
    for kind, name, digest in ((T.MD5, "MD5", md5.hex()), (T.SHA256, "SHA-256", sha256.hex())):
        obs = normalize(digest.upper(), kind)
        assert stix_sco_id(obs) == stix2.File(hashes={name: digest}).id


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.tuples(
            st.sampled_from([T.IPV4, T.IPV6, T.CIDR, T.DOMAIN, T.URL, T.EMAIL, T.YARA, T.SIGMA]),
            st.text(),  # quotes, backslashes, control and non-ASCII characters included
        ),
        st.tuples(
            st.sampled_from([T.MD5, T.SHA1, T.SHA256, T.SHA512]),
            st.text("0123456789abcdef", min_size=1),
        ),
        st.tuples(st.just(T.ASN), st.integers(0, 2**32 - 1).map(str)),
    )
)
def test_the_storage_key_is_the_uids_first_bytes_for_any_value(case: tuple[T, str]) -> None:
    # observable_key builds the hashed JSON from byte templates; the uid goes through JCS.
    obs = Observable(*case)
    assert observable_key(obs) == key_of_uid(observable_uid(obs))
