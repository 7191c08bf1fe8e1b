"""Values that look like injection or markup rather than an indicator. PURE.

Contributed values end up in web pages, CSV exports, SIEM queries, logs and terminals. A value
carrying markup, a template or JNDI expression, SQL, control characters or invisible
characters is refused whole with a specific reason: it is never stored half-cleaned, because
what a cleaner removes is exactly what a reviewer would need to see. Rule kinds (YARA,
Suricata, Sigma, STIX patterns) are not screened here: their syntax legitimately holds such
text, and they are checked by their own compilers.
"""

from __future__ import annotations

import re
import unicodedata

# Checked in order; the first match gives the reason. Patterns look at the raw value.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\$\{\s*(?:jndi|env|sys|lower|upper|date|ctx|main|java|::-)", re.I),
        "looks like a Log4Shell JNDI lookup (CVE-2021-44228), not an indicator; submit the"
        " callback URL or host instead",
    ),
    (
        re.compile(r"\{\{|\{%|\$\{|#\{|<%|%\{"),
        "looks like a template expression ({{…}}, ${…}, <%…%>), which is never an indicator",
    ),
    (
        re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|<\s*[!?]|</"),
        "looks like HTML/XML markup (a '<tag'), which is never an indicator",
    ),
    (
        re.compile(r"(?:java|vb)script\s*:|\bon[a-z]+\s*=\s*['\"]?\w+\(", re.I),
        "looks like script injection (javascript: or an on…= handler)",
    ),
    (
        re.compile(
            r"['\"]\s*(?:or|and)\s+['\"\w]+\s*(?:=|like\b)"
            r"|['\"]\s*;|;\s*(?:drop|delete|insert|update|select|exec|shutdown)\b"
            r"|\bunion\s+(?:all\s+)?select\b|\bselect\s.+\bfrom\b|\s--\s*$|/\*.*\*/"
            r"|\b(?:sleep|benchmark|pg_sleep)\s*\(|\bwaitfor\s+delay\b",
            re.I,
        ),
        "looks like SQL injection (quotes with OR/AND, ';', UNION SELECT or '--'), which is"
        " never an indicator",
    ),
    (
        re.compile(r"\$\(|`"),
        "looks like shell command substitution ($(…) or backquotes)",
    ),
    (
        re.compile(r"^\s*=|^\s*[+\-@]\s*\w+\s*\(|^\s*[+\-@=].*\|"),
        "looks like a spreadsheet formula (CSV injection: a leading =, +, - or @)",
    ),
)
# Characters with no visible form that change how a name reads or compares (RFC 8264 §9).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def _control_reason(char: str, line_breaks_ok: bool) -> str | None:
    code = ord(char)
    if code == 0:
        return "contains a NUL character (U+0000)"
    if code == 0x1B:
        return "contains an ANSI escape sequence (ESC, U+001B), e.g. terminal colour codes"
    if char in "\r\n\t":
        if line_breaks_ok:
            return None
        return (
            f"contains a line break or tab (U+{code:04X}) inside the value (log/header injection)"
        )
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"contains the control character U+{code:04X}"
    if unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in "\u115f\u1160\u3164":
        name = unicodedata.name(char, "unassigned")
        return f"contains the invisible character U+{code:04X} ({name}), a spoofing risk"
    return None


def hostile_reason(value: str, *, line_breaks_ok: bool = False) -> str | None:
    """Return why ``value`` looks like injection, markup or hidden characters, or None.

    ``line_breaks_ok`` lets tab, CR and LF through (URLs drop them, per WHATWG URL parsing).
    """
    stripped = value.strip()
    if not stripped.isascii() or not stripped.isprintable():
        for char in stripped:
            if char.isascii() and char.isprintable():
                continue
            reason = _control_reason(char, line_breaks_ok)
            if reason is not None:
                return reason
    if (
        not _SUSPECT.search(stripped)
        and not stripped.startswith("=")
        and not (":" in stripped and "script" in stripped.lower())
    ):
        return None
    for pattern, reason in _PATTERNS:
        if pattern.search(stripped):
            return reason
    return None


# Characters at least one pattern needs, bar a leading '=' and the ':' of "javascript:"
# (checked apart): most values, URLs with queries included, contain none of them and skip the
# table. A lone character class scans at C speed.
_SUSPECT = re.compile(r"[{}$<`'\";|(*\s]")
