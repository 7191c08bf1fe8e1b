"""What redaction is told (rules) and what it tells the contributor (results). PURE."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from phalanx.errors import InvalidInput

EMAIL = "email"
PHONE = "phone"
IBAN = "iban"
PAYMENT_CARD = "payment_card"
NAME = "name"
INTERNAL_HOST = "internal_host"

#: Every kind of redaction, with the words the contributor reads for it.
KIND_LABELS: dict[str, str] = {
    EMAIL: "e-mail address",
    PHONE: "phone number",
    IBAN: "IBAN",
    PAYMENT_CARD: "payment card number",
    NAME: "personal name",
    INTERNAL_HOST: "internal host name",
}

#: A redacted item in stored text; no detector matches it, so redaction is idempotent.
PLACEHOLDER = re.compile(r"\[REDACTED:[a-z_]+\]")

# Single-label suffixes that are private by convention (RFC 6762 .local, RFC 8375 home.arpa's
# "home", ICANN's reserved .internal, common AD names). Any other suffix needs two labels, so
# that a typo like "com" cannot turn every C2 domain in every comment into a redaction.
PRIVATE_SINGLE_LABELS = frozenset(
    {"local", "lan", "internal", "intranet", "corp", "home", "localdomain", "private"}
)
MAX_NAME_LENGTH = 100
_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?\Z")
_PREFIX = re.compile(r"[^\W\d_](?:[^\W_]|-)*\Z")
_NAME_CHARS = re.compile(r"[^\W\d_](?:[^\W\d_]|[\s'’.-])*\Z")


def placeholder(kind: str) -> str:
    """Return the text that stands in for a redacted item of this kind."""
    return f"[REDACTED:{kind}]"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A detector's finding: characters start..end of the scanned text are of one kind."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True, slots=True)
class Redaction:
    """One redacted item: its kind and where it was in the original text (never its content)."""

    kind: str
    start: int
    end: int
    original_length: int

    def __post_init__(self) -> None:
        if self.kind not in KIND_LABELS:
            raise InvalidInput(f"unknown redaction kind {self.kind!r}", field="kind")
        if not 0 <= self.start < self.end or self.original_length != self.end - self.start:
            raise InvalidInput("start, end and original_length disagree", field="start")

    def describe(self) -> str:
        """Say what was redacted, for the contributor, without repeating it."""
        return (
            f"{KIND_LABELS[self.kind]} redacted at characters {self.start}-{self.end} "
            f"({self.original_length} characters)"
        )


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """The text to store and the redactions made in it, in order of position."""

    text: str
    redactions: tuple[Redaction, ...] = ()

    def summary(self) -> dict[str, int]:
        """Count redactions per kind, kinds in alphabetical order."""
        counts = Counter(item.kind for item in self.redactions)
        return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class RedactionRules:
    """One contributor's redaction settings; values are validated and normalised on creation.

    ``personal_names`` are whole names ("Anna Müller", or "Müller, Anna"); each also matches
    surname-first, with or without a comma, case- and accent-insensitively. A surname alone is
    not matched unless it is listed on its own. ``internal_domains`` are DNS suffixes whose
    hosts (and the suffix itself) are the contributor's internal names. ``internal_host_prefixes``
    are prefixes of single-label host names (``WS-``, ``SRV``) of the contributor's naming
    scheme; a word with such a prefix that also contains a digit is an internal host.

    There is deliberately no allow-list of e-mail domains: the issue asks for every e-mail
    address in free text to be redacted, and a role address still names the victim.
    """

    personal_names: frozenset[str] = frozenset()
    internal_domains: frozenset[str] = frozenset()
    internal_host_prefixes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        names = frozenset(normalize_name(name) for name in self.personal_names)
        domains = frozenset(normalize_domain(domain) for domain in self.internal_domains)
        prefixes = frozenset(normalize_host_prefix(p) for p in self.internal_host_prefixes)
        # Frozen dataclasses normalise through object.__setattr__ (the documented idiom).
        object.__setattr__(self, "personal_names", names)
        object.__setattr__(self, "internal_domains", domains)
        object.__setattr__(self, "internal_host_prefixes", prefixes)


def normalize_name(name: str) -> str:
    """Return a personal name in NFC with single spaces, or raise InvalidInput."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if "," in cleaned:
        last, _, first = (part.strip() for part in cleaned.partition(","))
        cleaned = f"{first} {last}" if first and last else ""
    if len(cleaned) > MAX_NAME_LENGTH or not _NAME_CHARS.match(cleaned):
        raise InvalidInput(
            f"a personal name is up to {MAX_NAME_LENGTH} letters, spaces, hyphens, apostrophes"
            " and dots",
            field="personal_names",
            value=name,
        )
    return cleaned


def normalize_domain(domain: str) -> str:
    """Return an internal domain suffix in lower case without outer dots, or raise InvalidInput."""
    cleaned = domain.strip().strip(".").lower()
    labels = cleaned.split(".")
    if not cleaned or len(cleaned) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput("not a DNS name", field="internal_domains", value=domain)
    if len(labels) == 1 and cleaned not in PRIVATE_SINGLE_LABELS:
        raise InvalidInput(
            "a single-label suffix must be a private one "
            f"({', '.join(sorted(PRIVATE_SINGLE_LABELS))})",
            field="internal_domains",
            value=domain,
        )
    return cleaned


def normalize_host_prefix(prefix: str) -> str:
    """Return a host-name prefix in upper case, or raise InvalidInput."""
    cleaned = prefix.strip().upper()
    if len(cleaned) < 2 or not _PREFIX.match(cleaned):
        raise InvalidInput(
            "a host prefix is two or more letters, digits or hyphens, starting with a letter",
            field="internal_host_prefixes",
            value=prefix,
        )
    return cleaned
