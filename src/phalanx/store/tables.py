"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Integer primary keys that are rowid aliases on SQLite and BIGINT identities on PostgreSQL.
Id = BigInteger().with_variant(Integer(), "sqlite")
Micros = BigInteger  # microseconds since the epoch, UTC

hub_meta = Table(
    "hub_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("country", String(2), nullable=False),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("created_at", Micros, nullable=False),
    # Redaction settings (JSON lists): the organisation's internal DNS suffixes and host
    # name prefixes, redacted from its free text.
    Column("internal_domains", Text, nullable=False, server_default="[]"),
    Column("internal_host_prefixes", Text, nullable=False, server_default="[]"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Micros, nullable=False),
    UniqueConstraint("org_id", "name", name="uq_users_org_name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("secret_hash", LargeBinary(32), nullable=False),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("user_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("role", String(16), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("expires_at", Micros, nullable=True),
    Column("revoked_at", Micros, nullable=True),
    Column("last_used_at", Micros, nullable=True),
)

# One canonical row per (type, value). ``id`` is the first 64 bits of the STIX SCO hash
# (phalanx.observables.ids); ingest checks stored values so a collision is caught, not merged.
observables = Table(
    "observables",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(16), nullable=False),
    Column("value", Text, nullable=False),
)

# Who a report is shared with. Many reports share one scope, so visibility is decided once
# per scope and compiled into ``scope_id IN (...)`` (policy/plan.py).
scopes = Table(
    "scopes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("tlp", String(16), nullable=False),
    Column("orgs", Text, nullable=False),  # JSON list of recipient organisation ids
    Column("users", Text, nullable=False),  # JSON list of recipient user ids (TLP:RED)
    Column("communities", Text, nullable=False),  # JSON list of community ids
    Column("agreement_id", BigInteger, nullable=True),
    Column("early_access", Text, nullable=False),  # JSON list of organisation ids
)

contributions = Table(
    "contributions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(36), nullable=False, unique=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("api_key_id", BigInteger, ForeignKey("api_keys.id"), nullable=True),
    Column("format", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_digest", String(64), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("new_count", Integer, nullable=False),
    Column("known_count", Integer, nullable=False),
    Column("rejected_count", Integer, nullable=False),
    Column("response", LargeBinary, nullable=True),  # zlib(orjson), kept for idempotent replays
    UniqueConstraint("org_id", "idempotency_key", name="uq_contributions_org_idempotency"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("observable_id", BigInteger, ForeignKey("observables.id"), nullable=False),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("contribution_id", BigInteger, ForeignKey("contributions.id"), nullable=False),
    Column("scope_id", BigInteger, ForeignKey("scopes.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tlp", String(16), nullable=False),
    Column("pap", String(8), nullable=False),
    Column("labels", Text, nullable=False),  # "|c2|malware:emotet|" (policy/labels.py)
    Column("confidence", Integer, nullable=True),
    Column("valid_from", Micros, nullable=True),
    Column("valid_until", Micros, nullable=True),
    Column("comment", Text, nullable=True),
    Column("anonymous", Boolean, nullable=False),
    Column("embargo_until", Micros, nullable=True),
    Column("victim_country", String(2), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Column("revoked_at", Micros, nullable=True),
)
Index("ix_reports_observable_id", reports.c.observable_id)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", Micros, nullable=False),
    Column("actor_org_id", BigInteger, nullable=True),
    Column("actor", String(64), nullable=True),  # api key id, "cli" or "system"
    Column("action", String(64), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Named sets of organisations that reports are shared to (issue: communities).
communities = Table(
    "communities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("created_at", Micros, nullable=False),
)

community_members = Table(
    "community_members",
    metadata,
    Column("community_id", BigInteger, ForeignKey("communities.id"), primary_key=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), primary_key=True),
    Column("is_admin", Boolean, nullable=False),
    Column("added_at", Micros, nullable=False),
)

# Data-exchange agreements as machine-enforced policy objects. List-valued terms are JSON;
# an empty list means "no restriction" for kinds, labels and jurisdictions.
agreements = Table(
    "agreements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("parties", Text, nullable=False),
    Column("kinds", Text, nullable=False),
    Column("labels", Text, nullable=False),
    Column("purposes", Text, nullable=False),
    Column("jurisdictions", Text, nullable=False),
    Column("own_victims_only", Boolean, nullable=False),
    Column("personal_data", Boolean, nullable=False),
    Column("retention_days", Integer, nullable=True),
    Column("onward", Boolean, nullable=False),
    Column("valid_from", Micros, nullable=False),
    Column("valid_until", Micros, nullable=True),
    Column("revoked_at", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
)

# MISP export (migration 0004_misp): reports read contribution by contribution.
Index("ix_reports_contribution_id", reports.c.contribution_id, reports.c.id)
