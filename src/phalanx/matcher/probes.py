"""What one observed value must be looked up as: the matcher's semantics, one value at a time.

PURE. The vectorised fast path (``tokens.py``) covers the common plain tokens; everything
else (URLs, IPv6, e-mail, IDN, prose, hinted fields) comes here. Rules:

- whitespace is trimmed; a value with inner whitespace and no kind hint is prose, and the
  IOCs found in it (``extract.py``) are observed one by one; a defanged value
  (``evil[.]test``, ``hxxp://``) is refanged first;
- IPv4 is a dotted quad of decimal octets <= 255 without leading zeros (``010`` may be octal:
  such values are not IPv4 observations, as spec-notes 6.4 allows);
  it matches exact IPv4 indicators and every containing CIDR. IPv6 likewise (any form
  ``inet_pton`` reads; ``::ffff:a.b.c.d`` counts as IPv4);
- a domain is lower-cased, one trailing dot dropped, IDN turned into A-labels; labels are
  ``[a-z0-9_-]+``, at least two, and the last starts with a letter (RFC 1123 2.1: top-level
  labels are alphabetic; ``xn--`` too). It matches the domain and every parent domain
  (``parent-domain``);
- hashes are 32/40/64/128 hex digits, lower-cased; e-mail is lower-cased as a whole;
- a URL (``scheme://...``) is matched after cheap canonicalisation (scheme and host
  lower-cased, default port and fragment dropped, empty path -> ``/``); its host matches
  domain, IP and CIDR indicators as ``url-host``. The full URL normaliser is the caller's
  business (``match.py`` runs it only for URLs that missed and look non-canonical).
"""

from __future__ import annotations

import re
import socket

import idna

from phalanx.matcher.extract import extract_iocs, refang
from phalanx.matcher.model import EXACT, PARENT_DOMAIN, URL_HOST
from phalanx.observables.kinds import HASH_TYPES
from phalanx.observables.kinds import ObservableType as T

DOMAIN_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.[a-z][a-z0-9_-]*")
HASH_RE = re.compile(r"[0-9a-f]{32}(?:[0-9a-f]{8}|[0-9a-f]{32}|[0-9a-f]{96})?")
_OCTET = r"(0|[1-9]\d{0,2})"  # no zero padding: "010" is ambiguous (octal?), not an address
IPV4_RE = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
URL_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^#]*)(?:#.*)?", re.DOTALL)
DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}
HASH_KINDS = {32: T.MD5, 40: T.SHA1, 64: T.SHA256, 128: T.SHA512}
_SPACE = re.compile(r"\s")
_DEFANGED = re.compile(r"[\[({]|^h[x*]{2}p", re.I)
_IP_HINTS = frozenset({T.IPV4, T.IPV6, T.CIDR})
_MAPPED_V4 = 0xFFFF << 32


class Probes:
    """Lookups wanted for a batch of observed values, gathered in lists, resolved at once.

    Each observed value gets an origin number (its position in ``observed``); ``tokens[i]``
    says which input value (log field or line) origin ``i`` came from.
    """

    def __init__(self) -> None:
        self.observed: list[str] = []
        self.tokens: list[int] = []
        self.texts: list[str] = []  # canonical text keys to look up
        self.text_origin: list[int] = []
        self.text_how: list[str] = []
        self.text_kinds: list[frozenset[T]] = []
        self.ips: list[int] = []  # addresses for CIDR lookups (IPv6 also for exact keys)
        self.ip_origin: list[int] = []
        self.ip_how: list[str | None] = []  # None: report "cidr"/"exact" as usual
        self.ip_six: list[bool] = []
        self.urls: list[tuple[int, str, str]] = []  # (origin, value, cheap canonical form)

    def origin(self, token: int, observed: str) -> int:
        """Return a new origin number for ``observed``, seen in input value ``token``."""
        self.observed.append(observed)
        self.tokens.append(token)
        return len(self.observed) - 1

    def text(self, origin: int, text: str, how: str, kinds: frozenset[T]) -> None:
        """Ask for indicators of ``kinds`` whose value is ``text``."""
        self.texts.append(text)
        self.text_origin.append(origin)
        self.text_how.append(how)
        self.text_kinds.append(kinds)

    def ip(self, origin: int, address: int, six: bool, how: str | None) -> None:
        """Ask for IP and CIDR indicators covering ``address``."""
        if not six:
            self.text(origin, socket.inet_ntoa(address.to_bytes(4, "big")), how or EXACT, _V4)
        self.ips.append(address)
        self.ip_origin.append(origin)
        self.ip_how.append(how)
        self.ip_six.append(six)

    def domain(self, origin: int, name: str, host_of_url: bool) -> None:
        """Ask for domain indicators equal to ``name`` or to any of its parents."""
        self.text(origin, name, URL_HOST if host_of_url else EXACT, _DOMAIN)
        start = name.find(".")
        while start >= 0:
            parent = name[start + 1 :]
            self.text(origin, parent, URL_HOST if host_of_url else PARENT_DOMAIN, _DOMAIN)
            start = name.find(".", start + 1)


_V4 = frozenset({T.IPV4})
_DOMAIN = frozenset({T.DOMAIN})
_URL = frozenset({T.URL})
_EMAIL = frozenset({T.EMAIL})
_HASHES = frozenset(HASH_TYPES)


def add_value(probes: Probes, token: int, value: str, hint: T | None) -> None:
    """Add the lookups for one observed value (prose is split into its IOCs)."""
    value = value.strip()
    if not value:
        return
    if hint is None and _SPACE.search(value):
        for kind, found in extract_iocs(value):
            add_value(probes, token, found, kind)
        return
    origin = probes.origin(token, value)
    if _DEFANGED.search(value):  # IOC lists often arrive defanged: "evil[.]test", "hxxp://"
        value = refang(value)
    if not _add_typed(probes, origin, value, hint):
        probes.observed.pop()  # nothing to look up: not an observation
        probes.tokens.pop()


def _add_typed(probes: Probes, origin: int, value: str, hint: T | None) -> bool:
    """Add lookups for ``value`` read as ``hint`` (or as what it looks like); False if none."""
    if hint is T.URL or (hint is None and URL_RE.match(value)):
        return add_url(probes, origin, value if "://" in value else f"http://{value}")
    if hint is T.EMAIL or (hint is None and "@" in value):
        return _add_email(probes, origin, value)
    if hint in HASH_TYPES or (hint is None and HASH_RE.fullmatch(value.lower())):
        return _add_hash(probes, origin, value)
    address = parse_ip(value)
    if address is not None:
        probes.ip(origin, address[0], address[1], None)
        return True
    if hint in _IP_HINTS:
        return False
    if hint is T.DOMAIN:
        value = _strip_port(value)
    name = canonical_domain(value)
    if name is None:
        return False
    probes.domain(origin, name, host_of_url=False)
    return True


def parse_ip(value: str) -> tuple[int, bool] | None:
    """Return (address, is IPv6) for an IPv4 or IPv6 address, else None."""
    match = IPV4_RE.fullmatch(value)
    if match:
        octets = [int(part) for part in match.groups()]
        if max(octets) > 255:
            return None
        return int.from_bytes(bytes(octets), "big"), False
    if ":" not in value:
        return None
    try:
        number = int.from_bytes(socket.inet_pton(socket.AF_INET6, value.strip("[]")), "big")
    except (OSError, ValueError):
        return None
    if number >> 32 == 0xFFFF:  # ::ffff:a.b.c.d is an IPv4 address (spec-notes 6.4)
        return number - _MAPPED_V4, False
    return number, True


def canonical_domain(value: str) -> str | None:
    """Return the canonical (A-label, lower-case) domain for ``value``, or None."""
    name = value.lower().removesuffix(".")
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    return name if DOMAIN_RE.fullmatch(name) else None


def add_url(probes: Probes, origin: int, value: str) -> bool:
    """Add the lookups for a URL: its cheap canonical form, and its host as ``url-host``."""
    match = URL_RE.fullmatch(value)
    if match is None:
        return False
    scheme, authority, rest = match.groups()
    scheme = scheme.lower()
    userinfo, at, hostport = authority.rpartition("@")
    host, port = _split_host_port(hostport)
    if host is None or (port and not port.isdigit()):
        return False
    host = host.lower()
    if port == DEFAULT_PORTS.get(scheme):
        port = ""
    if not rest.startswith("/"):
        rest = "/" + rest
    shown_host = f"[{host}]" if ":" in host else host
    cheap = f"{scheme}://{userinfo}{at}{shown_host}{':' if port else ''}{port}{rest}"
    probes.text(origin, cheap, EXACT, _URL)
    probes.urls.append((origin, value, cheap))
    add_host(probes, origin, host)
    return True


def add_host(probes: Probes, origin: int, host: str) -> None:
    """Add ``url-host`` lookups for a URL's host (an IP literal or a domain)."""
    address = parse_ip(host)
    if address is not None:
        probes.ip(origin, address[0], address[1], URL_HOST)
        return
    name = canonical_domain(host)
    if name is not None:
        probes.domain(origin, name, host_of_url=True)


def _split_host_port(hostport: str) -> tuple[str | None, str]:
    """Split ``host:port`` / ``[v6]:port``; host None when the authority is malformed."""
    if hostport.startswith("["):
        host, bracket, tail = hostport[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            return None, ""
        return host, tail[1:]
    host, _, port = hostport.partition(":")
    return (host or None), port


def _strip_port(value: str) -> str:
    """Drop a ``:port`` suffix from a host field (``evil.test:8080``)."""
    host, colon, port = value.rpartition(":")
    return host if colon and port.isdigit() and ":" not in host else value


def _add_email(probes: Probes, origin: int, value: str) -> bool:
    """Add the lookup for an e-mail address (compared lower-cased)."""
    local, at, domain = value.rpartition("@")
    name = canonical_domain(domain)
    if not at or not local or name is None or _SPACE.search(local):
        return False
    probes.text(origin, f"{local.lower()}@{name}", EXACT, _EMAIL)
    return True


def _add_hash(probes: Probes, origin: int, value: str) -> bool:
    """Add the lookup for a hex hash of one of the supported lengths."""
    digest = value.lower()
    if not HASH_RE.fullmatch(digest):
        return False
    probes.text(origin, digest, EXACT, _HASHES)
    return True
