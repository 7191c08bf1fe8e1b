"""Organisations, users, roles and principals. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OrgKind(StrEnum):
    """What kind of body an organisation is (DESIGN: core model)."""

    VENDOR = "vendor"
    ENTERPRISE = "enterprise"
    CERT = "cert"
    ISAC = "isac"
    GOVERNMENT = "government"
    LAW_ENFORCEMENT = "law_enforcement"
    PUBLISHED = "published"  # a published source (alliance/feeds.py): public intelligence


class Role(StrEnum):
    """What a user or key may do."""

    ADMIN = "admin"
    ANALYST = "analyst"
    CONTRIBUTOR = "contributor"
    READER = "reader"
    AUDITOR = "auditor"


class Action(StrEnum):
    """Actions that roles grant."""

    READ_INTEL = "read-intel"
    CONTRIBUTE = "contribute"
    READ_AUDIT = "read-audit"
    MANAGE_MEMBERS = "manage-members"


# Readers read; contributors and analysts also contribute; auditors read the audit chain
# (not the intelligence); admins run the hub.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.ANALYST: frozenset({Action.READ_INTEL, Action.CONTRIBUTE}),
    Role.CONTRIBUTOR: frozenset({Action.READ_INTEL, Action.CONTRIBUTE}),
    Role.READER: frozenset({Action.READ_INTEL}),
    Role.AUDITOR: frozenset({Action.READ_AUDIT}),
}

PURPOSES = ("network-defense", "law-enforcement", "research", "victim-notification")


def role_allows(role: Role, action: Action) -> bool:
    """True when ``role`` grants ``action``."""
    return action in ROLE_ACTIONS[role]


@dataclass(frozen=True, slots=True)
class Organisation:
    """A member organisation."""

    id: int
    name: str
    kind: OrgKind
    country: str
    uuid: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    """A person (or system account) in an organisation."""

    id: int
    org_id: int
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: never the secret, only its id and metadata."""

    id: int
    key_id: str
    org_id: int
    org_name: str
    role: Role
    purpose: str
    created_at: datetime
    user_id: int | None = None
    name: str | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: who it is, for which organisation, with which role."""

    key_db_id: int
    key_id: str
    org_id: int
    org_name: str
    org_country: str
    role: Role
    purpose: str
    user_id: int | None = None

    def allows(self, action: Action) -> bool:
        """True when this caller's role grants ``action``."""
        return role_allows(self.role, action)

    @property
    def is_admin(self) -> bool:
        """True for hub administrators."""
        return self.role is Role.ADMIN
