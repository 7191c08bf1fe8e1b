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
    sqlite_with_rowid=False,  # clustered by id: one b-tree (migration 0008)
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

# --- TAXII 2.1 server and STIX object store (issue 4) --------------------------------------
# Every STIX object version a member contributes, kept verbatim. The policy columns carry the
# names of the reports table's (org_id, scope_id, kind, labels, embargo_until, victim_country,
# created_at) so the one visibility condition (store/visibility.py) filters both.
# ``date_added`` is unique and grows with ``seq`` (assigned under the TAXII write lock), so
# keyset pages on ``seq`` are pages in date_added order.
stix_objects = Table(
    "stix_objects",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("stix_id", String(300), nullable=False),
    Column("type", String(250), nullable=False),
    Column("spec_version", String(8), nullable=False),
    Column("version", String(40), nullable=False),  # modified, else created, else date_added
    Column("version_us", Micros, nullable=False),
    Column("date_added", Micros, nullable=False, unique=True),
    Column("is_latest", Boolean, nullable=False),
    Column("is_first", Boolean, nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 of content
    Column("content", LargeBinary, nullable=False),  # the JSON received, keys sorted
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("contribution_id", BigInteger, ForeignKey("contributions.id"), nullable=True),
    Column("scope_id", BigInteger, ForeignKey("scopes.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("labels", Text, nullable=False),
    Column("embargo_until", Micros, nullable=True),
    Column("victim_country", String(2), nullable=True),
    Column("created_at", Micros, nullable=False),
)
Index("ix_stix_objects_stix_id", stix_objects.c.stix_id, stix_objects.c.org_id)
Index("ix_stix_objects_type", stix_objects.c.type, stix_objects.c.seq)

# Admin-defined TAXII collections: a title and a filter over what the caller may see.
taxii_collections = Table(
    "taxii_collections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("alias", String(100), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=True),
    Column("filter", Text, nullable=False),  # JSON (taxii/collections.py CollectionFilter)
    Column("created_at", Micros, nullable=False),
)

# TAXII status resources (4.3), kept for the organisation that posted.
taxii_status = Table(
    "taxii_status",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("body", LargeBinary, nullable=False),  # the status resource as JSON
)
Index("ix_taxii_status_created_at", taxii_status.c.created_at)  # expiry (migration 0009)

# TAXII POSTs whose objects are stored but not yet turned into reports (taxii/derive.py):
# the stored versions to read (by date_added) and their places in the envelope and status.
# A row is deleted in the transaction that writes its reports: each POST is derived once.
taxii_derivations = Table(
    "taxii_derivations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("status_id", String(36), nullable=False),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("key_db_id", BigInteger, ForeignKey("api_keys.id"), nullable=False),
    Column("defaults", LargeBinary, nullable=False),  # the collection's contribution defaults
    # JSON: [envelope position, status success entry, date_added] per stored object
    Column("positions", LargeBinary, nullable=False),
    Column("first_added", Micros, nullable=True),  # date_added range of the stored versions
    Column("last_added", Micros, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("lease_until", Micros, nullable=True),  # a deriver holds the row until then
    Column("holder", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
)

# --- Alliance rules (issue 5, parts 1-4): published sources, the points ledger, standing ---

# A published source is an organisation of kind "published" whose reports are TLP:CLEAR.
published_sources = Table(
    "published_sources",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("format", String(16), nullable=False),
    Column("url", Text, nullable=True),
    Column("refresh_hours", Integer, nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("last_imported_at", Micros, nullable=True),
    Column("last_digest", String(64), nullable=True),
    Column("last_count", Integer, nullable=True),
)

# Every point is a row with its reason. ``true_class`` is the hub's real order (never shown
# to members); ``shown_class`` is what the member was told; ``by_org_id`` (feedback) is
# internal too: reasons never name another organisation.
alliance_ledger = Table(
    "alliance_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("at", Micros, nullable=False),
    Column("kind", String(16), nullable=False),  # contribution | sighting | false-positive
    Column("centipoints", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("shown_class", String(16), nullable=True),
    Column("true_class", String(16), nullable=True),
    Column("observable_id", BigInteger, nullable=True),
    Column("contribution_id", BigInteger, nullable=True),
    Column("report_id", BigInteger, nullable=True),
    Column("credit_unit", Text, nullable=True),
    Column("by_org_id", BigInteger, nullable=True),
    Column("unit_key", BigInteger, nullable=True),  # alliance.scoring.unit_key(credit_unit)
)
Index("ix_alliance_ledger_org_id", alliance_ledger.c.org_id, alliance_ledger.c.id)
# Partial indexes: only earning rows are looked up by unit, only feedback rows by report.
_EARNING = alliance_ledger.c.centipoints > 0
_FEEDBACK = alliance_ledger.c.report_id.isnot(None)
Index(
    "ix_alliance_ledger_org_unit_key",
    alliance_ledger.c.org_id,
    alliance_ledger.c.unit_key,
    sqlite_where=_EARNING,
    postgresql_where=_EARNING,
)
Index(
    "ix_alliance_ledger_report_id",
    alliance_ledger.c.report_id,
    sqlite_where=_FEEDBACK,
    postgresql_where=_FEEDBACK,
)

# The stored form of a standing: when access is (or will be) lost, and an admin override.
alliance_standing = Table(
    "alliance_standing",
    metadata,
    Column("org_id", BigInteger, ForeignKey("organisations.id"), primary_key=True),
    Column("restricted_from", Micros, nullable=True),
    Column("evaluated_at", Micros, nullable=False),
    Column("override_status", String(16), nullable=True),
    Column("override_reason", Text, nullable=True),
    Column("override_at", Micros, nullable=True),
    Column("override_until", Micros, nullable=True),
)

# Deployment channels, their versions, signed deployment receipts (issue 5, parts 5-7).
# The latest version keeps its whole item set (``item_set``: zlib-compressed JSON list), so a new
# version is a diff against it and the latest body can be rebuilt; channel_changes is the
# append-only log that ``?since=`` deltas are built from (from version 2 on: version 1's
# additions are the whole first set). Log rows are keyed by an item digest: rule bodies are
# too long for a B-tree key on PostgreSQL.
channels = Table(
    "channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("format", String(32), nullable=False),
    Column("filter", Text, nullable=False),  # canonical JSON (channels/definition.py)
    Column("created_at", Micros, nullable=False),
    Column("updated_at", Micros, nullable=False),
    Column("deleted_at", Micros, nullable=True),
    Column("checked_at", Micros, nullable=True),  # last time the content was recomputed
    Column("checked_mark", Text, nullable=True),  # what the store looked like then
)
Index("ix_channels_org_id", channels.c.org_id)

channel_versions = Table(
    "channel_versions",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("channels.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("items_digest", String(64), nullable=False),
    Column("content_digest", String(71), nullable=False),  # "sha256:<hex>" of the body
    Column("etag", String(40), nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("created_at", Micros, nullable=False),
    Column("item_set", LargeBinary, nullable=True),  # kept on the latest version only
)

channel_changes = Table(
    "channel_changes",
    metadata,
    Column("channel_id", BigInteger, ForeignKey("channels.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("item_key", String(32), primary_key=True),
    Column("item", Text, nullable=False),
    Column("added", Boolean, nullable=False),
)

deployment_keys = Table(
    "deployment_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("fingerprint", String(16), nullable=False, unique=True),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", Micros, nullable=False),
    Column("revoked_at", Micros, nullable=True),
)

deployment_receipts = Table(
    "deployment_receipts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", BigInteger, ForeignKey("channels.id"), nullable=False),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_digest", String(71), nullable=False),
    Column("deployed_at", Micros, nullable=False),
    Column("control", String(200), nullable=False),
    Column("key_fingerprint", String(16), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("received_at", Micros, nullable=False),
    UniqueConstraint("channel_id", "version", "control", name="uq_deployment_receipts_version"),
)
Index("ix_deployment_receipts_org_id", deployment_receipts.c.org_id)

# Feedback (issue 6): sightings, false positives and expiry statements; the per-observable
# feedback state they update incrementally; contributor reputation; idempotent requests.
sightings = Table(
    "sightings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(36), nullable=False, unique=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("api_key_id", BigInteger, nullable=True),
    Column("observable_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # seen | false-positive | expired
    Column("count", Integer, nullable=False),
    Column("first_seen", Micros, nullable=False),
    Column("last_seen", Micros, nullable=False),
    Column("context", Text, nullable=True),
    Column("anonymous", Boolean, nullable=False),
    Column("source", String(8), nullable=False),  # json | stix
    Column("item_key", String(200), nullable=True),  # the client's id: retries dedupe on it
    Column("created_at", Micros, nullable=False),
    UniqueConstraint("org_id", "item_key", name="uq_sightings_org_item"),
)
Index("ix_sightings_observable_id", sightings.c.observable_id)

# The reports a sighting attached to: those its sighter could see when it was recorded.
# No foreign keys to reports or observables: retention purges those, feedback stays.
sighting_reports = Table(
    "sighting_reports",
    metadata,
    Column("sighting_id", BigInteger, ForeignKey("sightings.id"), primary_key=True),
    Column("report_id", BigInteger, primary_key=True),
)
Index("ix_sighting_reports_report_id", sighting_reports.c.report_id)

# Running totals per report and sighting organisation (feedback/evidence.py), one JSON row
# per observable, rewritten in the transaction that records each sighting.
feedback_states = Table(
    "feedback_states",
    metadata,
    Column("observable_id", BigInteger, primary_key=True),
    Column("state", Text, nullable=False),
    Column("statements", Integer, nullable=False),
    Column("updated_at", Micros, nullable=False),
)
# Channels ask for the latest change on every feed request (deployment/feeds.store_mark).
Index("ix_feedback_states_updated_at", feedback_states.c.updated_at)

reputations = Table(
    "reputations",
    metadata,
    Column("org_id", BigInteger, ForeignKey("organisations.id"), primary_key=True),
    Column("confirmed", Integer, nullable=False),
    Column("false_positives", Integer, nullable=False),
    Column("updated_at", Micros, nullable=False),
)

sighting_requests = Table(
    "sighting_requests",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", BigInteger, ForeignKey("organisations.id"), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_digest", String(64), nullable=False),
    Column("response", LargeBinary, nullable=False),  # zlib(orjson)
    Column("created_at", Micros, nullable=False),
    UniqueConstraint("org_id", "idempotency_key", name="uq_sighting_requests_org_key"),
)

# MISP export (migration 0004_misp): reports read contribution by contribution.
Index("ix_reports_contribution_id", reports.c.contribution_id, reports.c.id)

# MISP events an organisation imported (misp/sync.py): the newest copy's timestamp and the
# observables it named, so that a newer copy withdraws what it no longer holds.
misp_events = Table(
    "misp_events",
    metadata,
    Column("org_id", BigInteger, ForeignKey("organisations.id"), primary_key=True),
    Column("event_uuid", String(36), primary_key=True),
    Column("stamp", BigInteger, nullable=True),  # the event's MISP timestamp (epoch seconds)
    Column("updated_at", Micros, nullable=False),
)
misp_event_claims = Table(
    "misp_event_claims",
    metadata,
    Column("org_id", BigInteger, primary_key=True),
    Column("event_uuid", String(36), primary_key=True),
    Column("observable_key", BigInteger, primary_key=True),
)
# "Does another of the organisation's events still name this value?"
Index("ix_misp_event_claims_org_id", misp_event_claims.c.org_id, misp_event_claims.c.observable_key)
