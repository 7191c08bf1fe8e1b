"""Organisations and the hub as STIX 2.1 identities (STIX 2.1 §4.5). PURE.

A named report's ``created_by_ref`` is its organisation's identity. An anonymous report's is
the hub's own identity: the hub vouches for it and the contributor stays hidden.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from phalanx.clock import format_stix_timestamp

HUB_DESCRIPTION = (
    "Phalanx threat-intelligence exchange hub. Publishes the reports of contributors who share "
    "anonymously."
)


def identity_id(identity_uuid: uuid.UUID | str) -> str:
    """Return the STIX id ``identity--<uuid>`` for an organisation's or hub's UUID."""
    return f"identity--{uuid.UUID(str(identity_uuid))}"


def identity_for_org(name: str, org_uuid: uuid.UUID | str, *, created: datetime) -> dict[str, Any]:
    """Return the identity of a member organisation (identity_class ``organization``)."""
    return _identity(name, org_uuid, created, identity_class="organization")


def hub_identity(name: str, hub_uuid: uuid.UUID | str, created: datetime) -> dict[str, Any]:
    """Return the hub's own identity, the ``created_by_ref`` of anonymous reports."""
    identity = _identity(name, hub_uuid, created, identity_class="system")
    identity["description"] = HUB_DESCRIPTION
    return identity


def _identity(
    name: str, identity_uuid: uuid.UUID | str, created: datetime, *, identity_class: str
) -> dict[str, Any]:
    """The common identity shape; identities are not versioned here, so modified == created."""
    timestamp = format_stix_timestamp(created)
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id(identity_uuid),
        "created": timestamp,
        "modified": timestamp,
        "name": name,
        "identity_class": identity_class,
    }
