"""STIX 2.1: patterns, SCOs, indicators, markings, bundles and the contribution reader. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O;
times and ids arrive as arguments, so output compares to literal JSON in tests. It is split
the way python-stix2 splits the spec: one module per concept (markings, patterns, scos,
indicators, identities, bundle, structure, labels, reader). Used by REST contributions and
exports now, and by the TAXII server later.
"""

from phalanx.formats.base import FormatSpec
from phalanx.formats.stix21.bundle import collect_markings, write_bundle
from phalanx.formats.stix21.identities import hub_identity, identity_for_org
from phalanx.formats.stix21.indicators import indicator_for_report
from phalanx.formats.stix21.markings import (
    marking_for_tlp,
    pap_from_marking,
    pap_marking,
    tlp_from_marking,
    tlp_from_marking_id,
)
from phalanx.formats.stix21.patterns import observables_from_pattern, pattern_for
from phalanx.formats.stix21.reader import read_bundle
from phalanx.formats.stix21.scos import observables_from_sco, sco_for

MEDIA_TYPES = ("application/stix+json", "application/vnd.oasis.stix+json")

FORMAT = FormatSpec(
    name="stix",
    media_types=MEDIA_TYPES,
    read=read_bundle,
    description="STIX 2.1 bundles, TAXII 2.1 envelopes and single STIX objects (JSON).",
    extensions=(".stix", ".stix.json"),
)

__all__ = [
    "FORMAT",
    "MEDIA_TYPES",
    "collect_markings",
    "hub_identity",
    "identity_for_org",
    "indicator_for_report",
    "marking_for_tlp",
    "observables_from_pattern",
    "observables_from_sco",
    "pap_from_marking",
    "pap_marking",
    "pattern_for",
    "read_bundle",
    "sco_for",
    "tlp_from_marking",
    "tlp_from_marking_id",
    "write_bundle",
]
