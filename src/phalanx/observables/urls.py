"""URL canonical form for dedupe and matching (spec-notes §6.3). PURE.

Google Safe Browsing canonicalisation plus RFC 3986 §6.2.2 and the WHATWG URL host parser:
tab/CR/LF removed; scheme and host lowercased; IDN host to A-labels; numeric IPv4 hosts
(``3279880203``, ``0xC3.0x7F.0.11``) to dotted quads; default port dropped; empty path -> ``/``;
dot segments resolved and ``//`` collapsed in the path; escapes uppercased, unreserved ones
decoded, non-ASCII, spaces and characters RFC 3986 forbids percent-encoded; fragment dropped.
The query keeps its parameters and their order (servers care), with the same escaping rules.
Userinfo is kept. Hosts obey the domain and address rules, so ``http://10.0.0.1/`` is rejected.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from phalanx.observables.addresses import (
    check_ipv4,
    check_ipv6,
    parse_ipv6,
    parse_numeric_host,
)
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable, Observable, new_observable
from phalanx.observables.names import is_canonical_name, normalize_domain, shorten
from phalanx.observables.refang import has_marker, token_spans, trim_edges

URL = ObservableType.URL
DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
    "ftp": 21,
    "ftps": 990,
    "sftp": 22,
    "tftp": 69,
    "ldap": 389,
    "ldaps": 636,
    "rmi": 1099,
    "smb": 445,
}
# WHATWG "special" schemes: backslash is a path separator and slashes before the host are lenient.
_SPECIAL = frozenset({"http", "https", "ws", "wss", "ftp"})
_REFUSED_SCHEMES = {
    "javascript": "javascript: URLs are script injection, not indicators",
    "vbscript": "vbscript: URLs are script injection, not indicators",
    "data": "data: URLs carry content inline and have no host to block; submit a hash instead",
    "file": "file: URLs point into the reader's own disk; there is no host to block",
    "mailto": "mailto: URLs are e-mail addresses; submit the address as type email",
}
MAX_URL = 8192
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Kept raw: unreserved, sub-delims, ':' and '@' (RFC 3986 §3.3 pchar), '/' and, in queries, '?'.
_PATH_CHARS = "A-Za-z0-9._~!$&'()*+,;=:@/\\-"
_ESCAPES = {
    "path": re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_PATH_CHARS}]"),
    "query": re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_PATH_CHARS}?]"),
    "userinfo": re.compile(r"%[0-9A-Fa-f]{2}|[^A-Za-z0-9._~!$&'()*+,;=:\-]"),
}
_CLEAN = {
    "path": re.compile(f"[{_PATH_CHARS}]*"),
    "query": re.compile(f"[{_PATH_CHARS}?]*"),
    "userinfo": re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:\-]*"),
}


def fast_url(value: str) -> Observable | None:
    """Return the observable if ``value`` is a plain, already canonical http(s) URL, else None.

    Plain means: a canonical LDH host, no userinfo or port, a path and query made only of
    characters that need no escaping and can form neither a defanging token nor an injection
    pattern, and no dot segment or ``//`` to resolve.
    """
    if value.startswith("https://"):
        rest = value[8:]
    elif value.startswith("http://"):
        rest = value[7:]
    else:
        return None
    slash = rest.find("/")
    if slash <= 0 or len(value) > MAX_URL or value[-1] in ".,":
        return None
    path = rest[slash:]
    if path.strip(_FAST_PATH_ALPHABET) or "//" in path or "/." in path:
        return None
    if not is_canonical_name(rest[:slash]):
        return None
    return new_observable(URL, value)


_FAST_PATH_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~!&+,=@/?-"


def _fail(reason: str, value: str) -> InvalidObservable:
    return InvalidObservable(reason, value=value, kind=URL)


def _escape_one(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) == 3 and text[0] == "%":
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", "surrogatepass"))


def normalize_escapes(text: str, part: str) -> str:
    """Uppercase escapes, decode unreserved ones and encode what ``part`` may not hold raw."""
    if "%" not in text and _CLEAN[part].fullmatch(text):
        return text
    return _ESCAPES[part].sub(_escape_one, text)


def remove_dot_segments(path: str) -> str:
    """Resolve ``.``/``..`` (RFC 3986 §5.2.4) and collapse empty segments (Safe Browsing)."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments[:-1]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in (".", ""):
            kept.append(segment)
    last = segments[-1] if segments else ""
    if last == "..":
        if kept:
            kept.pop()
        last = ""
    elif last == ".":
        last = ""
    return "/" + "".join(segment + "/" for segment in kept) + last


def _protect(part: str) -> str:
    # A canonical URL must be a fixed point of refang: escape the first character of anything
    # that still reads as a defanging token (it can appear once unreserved escapes are decoded).
    if not has_marker(part):
        return part
    pieces: list[str] = []
    position = 0
    for start, end, _ in token_spans(part):
        pieces.append(part[position:start])
        pieces.append(f"%{ord(part[start]):02X}{part[start + 1 : end]}")
        position = end
    pieces.append(part[position:])
    return "".join(pieces)


def _split(url: str) -> tuple[str, str, str]:
    match = _SCHEME.match(url)
    if match is None:
        raise _fail(f"a URL needs a scheme such as http://, got {shorten(url, 40)!r}", url)
    scheme = match.group(1).lower()
    if scheme in _REFUSED_SCHEMES:
        raise _fail(_REFUSED_SCHEMES[scheme], url)
    if scheme not in DEFAULT_PORTS:
        accepted = ", ".join(sorted(DEFAULT_PORTS))
        raise _fail(f"scheme {scheme!r} is not accepted; accepted schemes: {accepted}", url)
    rest = url[match.end() :]
    if scheme in _SPECIAL:
        rest = rest.replace("\\", "/").lstrip("/")
    elif rest.startswith("//"):
        rest = rest[2:]
    else:
        raise _fail(f"a {scheme}: URL needs '//' and a host after the scheme", url)
    return scheme, rest.partition("#")[0], url


def _host(host: str, url: str) -> str:
    if host.startswith("["):
        if not host.endswith("]"):
            raise _fail(f"URL host {host!r} has an unclosed '['", url)
        observable = check_ipv6(parse_ipv6(host[1:-1], URL))
        return observable.value if ":" not in observable.value else f"[{observable.value}]"
    if "%" in host:
        host = unquote(host)
    host = host.strip(".")
    if ".." in host:
        host = _DOT_RUNS.sub(".", host)
    if not host:
        raise _fail("URL has no host", url)
    dotted = parse_numeric_host(host)
    if dotted is not None:
        return check_ipv4(dotted).value
    return normalize_domain(host, URL).value


def _authority(authority: str, scheme: str, url: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport.partition("]")
        host += "]"
        if port and not port.startswith(":"):
            raise _fail(f"unexpected {port!r} after the IPv6 host", url)
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
    try:
        host = _host(host, url)
    except InvalidObservable as error:
        raise _fail(f"URL host: {error.reason}", url) from None
    if port:
        if not (port.isascii() and port.isdigit()) or int(port) > 65535:
            raise _fail(f"port {shorten(port)!r} is not a number from 0 to 65535", url)
        if int(port) != DEFAULT_PORTS[scheme]:
            host = f"{host}:{int(port)}"
    if at:
        return _protect(normalize_escapes(userinfo, "userinfo")) + "@" + host
    return host


def normalize_url(text: str) -> Observable:
    """Return the canonical URL observable for ``text`` (which must carry a scheme)."""
    # WHATWG URL parsing removes ASCII tab and newline anywhere and C0/space at the ends.
    if "\t" in text or "\r" in text or "\n" in text:
        text = text.translate(_TAB_NEWLINE)
    scheme, rest, url = _split(text.strip(_C0_AND_SPACE))
    cut = len(rest)
    for separator in "/?":
        found = rest.find(separator)
        if 0 <= found < cut:
            cut = found
    authority, remainder = rest[:cut], rest[cut:]
    path, question, query = remainder.partition("?")
    authority = _authority(authority, scheme, url)
    path = remove_dot_segments(normalize_escapes(path or "/", "path"))
    canonical = f"{scheme}://{authority}{_protect(path)}"
    if question:
        canonical += "?" + _protect(normalize_escapes(query, "query"))
    if trim_edges(canonical) != canonical:
        canonical = canonical[:-1] + f"%{ord(canonical[-1]):02X}"
    if len(canonical) > MAX_URL:
        raise _fail(f"URL is {len(canonical)} characters long, more than {MAX_URL}", url)
    return new_observable(URL, canonical)


_TAB_NEWLINE = str.maketrans("", "", "\t\r\n")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_DOT_RUNS = re.compile(r"\.{2,}")
