"""Scope identity: the canonical digest that lets many reports share one scope row. PURE."""

from __future__ import annotations

import hashlib

import orjson

from phalanx.policy.model import Scope


def scope_digest(scope: Scope) -> str:
    """Return a stable SHA-256 over a scope's canonical content."""
    data = {
        "tlp": scope.tlp.value,
        "orgs": sorted(scope.orgs),
        "users": sorted(scope.users),
        "communities": sorted(scope.communities),
        "agreement": scope.agreement_id,
        "early": sorted(scope.early_access),
    }
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
