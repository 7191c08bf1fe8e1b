"""A syntax check for Suricata rules (OISF/suricata ``doc/userguide/rules/intro.rst``). PURE.

Suricata itself is not a Python library, so this checks what a rule file loader rejects
first: the header (action, protocol, addresses, ports, direction), the option list (``;``
terminated, quotes and escapes balanced) and the options every deployable rule needs
(``sid``, numeric ``rev``/``gid``, quoted ``msg``, ``content`` and ``pcre``). A body holds one
rule per line; ``\\`` continues a rule on the next line; blank lines and ``#`` comments are
allowed. Keyword semantics (buffers, transforms) are left to Suricata.
"""

from __future__ import annotations

import ipaddress
import re

ACTIONS = frozenset(
    {"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "config"}
)
_PROTOCOL_NAMES = (
    "ip tcp udp icmp icmpv4 icmpv6 sctp pkthdr tcp-pkt tcp-stream ipv4 ipv6 ip4 ip6"
    " http http1 http2 ftp ftp-data tls ssl smb dns dcerpc dhcp ssh smtp imap pop3 modbus"
    " dnp3 enip nfs ike ikev2 krb5 ntp snmp sip rfb mqtt rdp quic bittorrent-dht telnet"
    " websocket ldap doh2 pgsql tftp template"
)
PROTOCOLS = frozenset(_PROTOCOL_NAMES.split(" "))
DIRECTIONS = frozenset({"->", "<>", "=>"})
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")
_PORT = re.compile(r"(\d+)?(:)?(\d+)?")
_OPTION_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_QUOTED = re.compile(r'!?\s*"(?:[^"\\]|\\.)*"(?:\s*,.*)?', re.S)


def _split_header(header: str) -> list[str]:
    tokens: list[str] = []
    depth, current = 0, ""
    for char in header:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


def _elements(group: str) -> list[str] | None:
    group = group.lstrip("!")
    if group.startswith("["):
        if not group.endswith("]"):
            return None
        inner, depth, current, parts = group[1:-1], 0, "", []
        for char in inner:
            depth += char == "["
            depth -= char == "]"
            if char == "," and depth == 0:
                parts.append(current.strip())
                current = ""
            else:
                current += char
        parts.append(current.strip())
        found: list[str] = []
        for part in parts:
            nested = _elements(part)
            if nested is None or not part:
                return None
            found.extend(nested)
        return found
    return [group]


def _address_error(group: str) -> str | None:
    elements = _elements(group)
    if not elements:
        return f"address {group!r} has unbalanced brackets or an empty element"
    for element in elements:
        if element == "any" or _VARIABLE.fullmatch(element):
            continue
        try:
            ipaddress.ip_network(element, strict=False)
        except ValueError:
            return f"address {element!r} is not any, a $VARIABLE, an IP address or a CIDR"
    return None


def _port_error(group: str) -> str | None:
    elements = _elements(group)
    if not elements:
        return f"port {group!r} has unbalanced brackets or an empty element"
    for element in elements:
        if element == "any" or _VARIABLE.fullmatch(element):
            continue
        match = _PORT.fullmatch(element)
        numbers = [int(n) for n in (match.group(1, 3) if match else ()) if n is not None]
        if not match or not numbers or any(n > 65535 for n in numbers):
            return f"port {element!r} is not any, a $VARIABLE, a port 0-65535 or a range"
        if match.group(2) is None and match.group(3) is not None:
            return f"port {element!r} is not a port or a range"
    return None


def _header_error(header: str) -> str | None:
    if header.count("[") != header.count("]"):
        return f"the rule header {header.strip()!r} has unbalanced brackets"
    tokens = _split_header(header)
    if len(tokens) != 7:
        return (
            "a rule header is: action protocol source port direction destination port;"
            f" got {len(tokens)} part(s) in {header.strip()!r}"
        )
    action, protocol, source, sport, direction, destination, dport = tokens
    if action not in ACTIONS:
        return f"unknown action {action!r}; expected one of {', '.join(sorted(ACTIONS))}"
    if protocol.partition(":")[0].lower() not in PROTOCOLS:
        return f"unknown protocol {protocol!r}"
    if direction not in DIRECTIONS:
        return f"direction must be '->', '<>' or '=>', got {direction!r}"
    return (
        _address_error(source)
        or _port_error(sport)
        or _address_error(destination)
        or _port_error(dport)
    )


def split_options(body: str) -> list[tuple[str, str | None]] | str:
    """Split ``name:value;`` options, honouring quotes and ``\\`` escapes; or return an error."""
    options: list[tuple[str, str | None]] = []
    current, quoted, escaped = "", False, False
    for char in body:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == '"':
            current, quoted = current + char, not quoted
        elif char == ";" and not quoted:
            name, colon, value = current.strip().partition(":")
            if not _OPTION_NAME.fullmatch(name.strip()):
                return f"option {current.strip()!r} has no valid keyword"
            options.append((name.strip(), value.strip() if colon else None))
            current = ""
        else:
            current += char
    if quoted:
        return "a quoted string in the options is not closed"
    if current.strip():
        return f"option {current.strip()!r} is not terminated by ';'"
    return options


def _options_error(options: list[tuple[str, str | None]]) -> str | None:
    names = [name for name, _ in options]
    if names.count("sid") != 1:
        return (
            "a rule needs exactly one 'sid' option"
            if names.count("sid") == 0
            else ("a rule has more than one 'sid'")
        )
    for name, value in options:
        if name in ("sid", "rev", "gid", "priority") and not (value or "").isdigit():
            return f"option {name} must be a non-negative integer, got {value!r}"
        if name in ("msg", "content", "pcre", "uricontent") and not _QUOTED.fullmatch(value or ""):
            return f"option {name} needs a quoted string value, got {value!r}"
    sid = int(dict(options)["sid"] or 0)
    return "sid must be at least 1" if sid < 1 else None


def _rule_lines(body: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for line in body.split("\n"):
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1]
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def check_suricata(body: str) -> str | None:
    """Return why ``body`` is not one or more valid Suricata rules, else None."""
    seen: set[str] = set()
    count = 0
    for number, line in enumerate(_rule_lines(body), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        error, sid = _rule_error(text)
        if error is None and sid in seen:
            error = f"sid {sid} is used twice"
        if error is not None:
            return f"Suricata rule {number}: {error}"
        seen.add(sid)
        count += 1
    return None if count else "no Suricata rule found (only comments or blank lines)"


def _rule_error(text: str) -> tuple[str | None, str]:
    if "(" not in text or not text.endswith(")"):
        return "a rule is a header followed by options in parentheses '( ... )'", ""
    header, _, options_text = text.partition("(")
    error = _header_error(header)
    if error is not None:
        return error, ""
    options = split_options(options_text[:-1])
    if isinstance(options, str):
        return options, ""
    return _options_error(options), dict(options).get("sid") or ""
