"""Canonical observables: the one entry point every ingest path calls. PURE.

``normalize(value, type)`` returns an :class:`Observable` whose value is canonical, or raises
:class:`InvalidObservable` with a specific reason. Non-rule values are screened for markup and
injection (:mod:`hostile`), refanged (:mod:`refang`) and then checked by their kind's module
(:mod:`addresses`, :mod:`names`, :mod:`urls`, :mod:`rules`). Each kind first tries a fast path
that accepts only input which is already canonical plain ASCII — the bulk of real feeds — so
most values cost one regex and no allocation beyond the observable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from phalanx.observables.addresses import (
    fast_ipv4,
    fast_ipv6,
    normalize_cidr,
    normalize_ipv4,
    normalize_ipv6,
)
from phalanx.observables.detect import detect_plain, detect_rule
from phalanx.observables.hostile import hostile_reason
from phalanx.observables.kinds import HASH_LENGTHS, RULE_TYPES, ObservableType
from phalanx.observables.model import InvalidObservable, Observable, new_observable
from phalanx.observables.names import fast_domain, normalize_domain, normalize_email, unicode_name
from phalanx.observables.refang import refang
from phalanx.observables.reserved import EMPTY_FILE_HASHES
from phalanx.observables.rules import normalize_rule
from phalanx.observables.urls import fast_url, normalize_url

T = ObservableType
MAX_VALUE_CHARS = 16_384
_TYPE_NAMES: dict[str, ObservableType] = {kind.value: kind for kind in T}
_TYPE_NAMES.update(
    {
        "ipv4-addr": T.IPV4,
        "ip-src": T.IPV4,
        "ipv6-addr": T.IPV6,
        "domain-name": T.DOMAIN,
        "hostname": T.DOMAIN,
        "fqdn": T.DOMAIN,
        "email-addr": T.EMAIL,
        "sha-1": T.SHA1,
        "sha-256": T.SHA256,
        "sha-512": T.SHA512,
        "autonomous-system": T.ASN,
        "stix": T.STIX_PATTERN,
    }
)
_NAMED_HASHES = {T.MD5: "MD5", T.SHA1: "SHA-1", T.SHA256: "SHA-256", T.SHA512: "SHA-512"}


def resolve_type(kind: ObservableType | str | None) -> ObservableType | None:
    """Return the kind named by ``kind`` (None or ``auto`` means detect); raise if unknown."""
    if kind is None or isinstance(kind, ObservableType):
        return kind
    key = kind.strip().lower()
    if key in ("", "auto"):
        return None
    found = _TYPE_NAMES.get(key)
    if found is None:
        valid = ", ".join(t.value for t in T)
        raise InvalidObservable(
            f"unknown observable type {kind!r}; expected one of: {valid}", field="type"
        )
    return found


def _fast_hash(kind: ObservableType) -> Callable[[str], Observable | None]:
    length = HASH_LENGTHS[kind]

    def fast(value: str) -> Observable | None:
        if len(value) == length:
            lowered = value.lower()
            # strip() with the hex alphabet leaves nothing exactly when every character is hex.
            if not lowered.strip(_HEX_DIGITS) and lowered not in EMPTY_FILE_HASHES:
                return new_observable(kind, lowered)
        return None

    return fast


_HEX_DIGITS = "0123456789abcdef"
# Keyed by the kind's string value: hashing an enum member runs Python code, a str does not.
_FAST: dict[str, Callable[[str], Observable | None]] = {
    T.IPV4.value: fast_ipv4,
    T.IPV6.value: fast_ipv6,
    T.DOMAIN.value: fast_domain,
    T.URL.value: fast_url,
    **{kind.value: _fast_hash(kind) for kind in HASH_LENGTHS},
}
_FAST_BY_HASH_LENGTH = {length: _FAST[kind.value] for kind, length in HASH_LENGTHS.items()}


def normalize_hash(text: str, kind: ObservableType) -> Observable:
    """Return the lowercase hash observable, or say which character or length is wrong."""
    length, name = HASH_LENGTHS[kind], _NAMED_HASHES[kind]
    digest = text.strip().lower()
    bad = next((c for c in digest if c not in "0123456789abcdef"), None)
    if bad is not None:
        raise InvalidObservable(
            f"{kind.value} must be hexadecimal; {bad!r} is not a hex digit", value=text, kind=kind
        )
    if len(digest) != length:
        other = next((k.value for k, n in HASH_LENGTHS.items() if n == len(digest)), None)
        hint = f" (that is the length of a {other})" if other else ""
        raise InvalidObservable(
            f"{kind.value} must be {length} hex characters, got {len(digest)}{hint}",
            value=text,
            kind=kind,
        )
    if digest in EMPTY_FILE_HASHES:
        raise InvalidObservable(
            f"{digest} is the {name} of an empty file and is never accepted as an indicator",
            value=text,
            kind=kind,
        )
    return Observable(kind, digest)


def normalize_asn(text: str) -> Observable:
    """Return the AS number as plain decimal (``AS64496`` and asdot ``AS0.64496`` accepted)."""
    digits = text.strip()
    for prefix in ("asn", "as"):
        if digits[: len(prefix)].lower() == prefix:
            digits = digits[len(prefix) :].strip()
            break
    high, dot, low = digits.partition(".")
    if not (high.isascii() and high.isdigit()) or (dot and not (low.isascii() and low.isdigit())):
        raise InvalidObservable(
            f"an AS number is digits with an optional 'AS' prefix, got {text!r}",
            value=text,
            kind=T.ASN,
        )
    if dot and (int(high) > 65535 or int(low) > 65535):
        raise InvalidObservable(f"asdot number {digits} is out of range (RFC 5396)", value=text)
    number = int(high) * 65536 + int(low) if dot else int(high)
    if not 1 <= number <= 4294967295:
        raise InvalidObservable(
            f"AS number {number} is outside 1-4294967295 (AS 0 is reserved, RFC 7607)",
            value=text,
            kind=T.ASN,
        )
    return Observable(T.ASN, str(number))


def _prepare(value: str, kind: ObservableType | None) -> str:
    # Screen the raw value before refanging: refanging strips the '<>' markup would hide in.
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidObservable(
            f"value is {len(value)} characters long, more than {MAX_VALUE_CHARS}",
            value=value[:200],
            kind=kind,
        )
    reason = hostile_reason(value, line_breaks_ok=kind is T.URL)
    if reason is not None:
        raise InvalidObservable(reason, value=value, kind=kind)
    text = refang(value)
    if not text:
        raise InvalidObservable("value is empty", value=value, kind=kind)
    return text


def _normalize_plain(
    text: str, kind: ObservableType, allow_broad: bool, retry_fast: bool = True
) -> Observable:
    fast = _FAST.get(kind._value_) if retry_fast else None
    found = None if fast is None else fast(text)
    if found is not None:
        return found
    if kind is T.IPV4:
        return normalize_ipv4(text, allow_broad)
    if kind is T.IPV6:
        return normalize_ipv6(text, allow_broad)
    if kind is T.CIDR:
        return normalize_cidr(text, allow_broad)
    if kind in HASH_LENGTHS:
        return normalize_hash(text, kind)
    if kind is T.DOMAIN:
        return normalize_domain(text)
    if kind is T.URL:
        return normalize_url(text)
    if kind is T.EMAIL:
        return normalize_email(text)
    return normalize_asn(text)


def normalize(
    value: str, type: ObservableType | str | None = None, *, allow_broad: bool = False
) -> Observable:
    """Return the canonical observable for ``value`` or raise InvalidObservable with the reason."""
    if not isinstance(value, str):
        raise InvalidObservable(f"value must be a string, got {value.__class__.__name__}")
    kind = type if type.__class__ is ObservableType else resolve_type(type)
    if kind is None:
        return _normalize_auto(value, allow_broad)
    fast = _FAST.get(kind._value_)
    if fast is not None:
        found = fast(value)
        if found is not None:
            return found
    if kind in RULE_TYPES:
        return normalize_rule(value, kind)
    text = _prepare(value, kind)
    return _normalize_plain(text, kind, allow_broad, retry_fast=text != value)


def _normalize_auto(value: str, allow_broad: bool) -> Observable:
    found = fast_ipv4(value) or fast_domain(value)
    if found is None:
        fast_hash = _FAST_BY_HASH_LENGTH.get(len(value))
        if fast_hash is not None:
            found = fast_hash(value)
        elif value.startswith("http"):
            found = fast_url(value)
        elif ":" in value:
            found = fast_ipv6(value)
    if found is not None:
        return found
    rule = detect_rule(value)
    if rule is not None:
        return normalize_rule(value, rule)
    kind, text = detect_plain(_prepare(value, None))
    return _normalize_plain(text, kind, allow_broad)


def detect_type(value: str) -> ObservableType:
    """Return the kind ``value`` would be normalised as, or raise InvalidObservable."""
    rule = detect_rule(value)
    if rule is not None:
        return rule
    return detect_plain(_prepare(value, None))[0]


def normalize_many(
    items: Iterable[tuple[str, str | ObservableType | None]],
) -> list[Observable | InvalidObservable]:
    """Normalise (value, type) pairs in bulk; a bad item yields its error instead of raising."""
    results: list[Observable | InvalidObservable] = []
    append = results.append
    for value, kind in items:
        try:
            append(normalize(value, kind))
        except InvalidObservable as error:
            append(error)
    return results


def display_value(obs: Observable) -> str:
    """Return ``obs`` for people: U-labels for IDN domains, URL hosts and e-mail domains."""
    if "xn--" not in obs.value:
        return obs.value
    if obs.type is T.DOMAIN:
        return unicode_name(obs.value)
    if obs.type is T.EMAIL:
        local, _, domain = obs.value.rpartition("@")
        return f"{local}@{unicode_name(domain)}"
    if obs.type is T.URL:
        scheme, _, rest = obs.value.partition("://")
        authority, slash, path = rest.partition("/")
        userinfo, at, hostport = authority.rpartition("@")
        host, colon, port = hostport.partition(":")
        return f"{scheme}://{userinfo}{at}{unicode_name(host)}{colon}{port}{slash}{path}"
    return obs.value
