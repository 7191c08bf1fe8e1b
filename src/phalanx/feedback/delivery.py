"""Feedback into deployment channels: confidence and expiry on delivery entries. PURE.

The channel shell builds a :class:`~phalanx.channels.model.DeliveryEntry` per observable the
channel's owner may see, assesses it for that owner (``service.assess_keys``) and passes
both here: the entry's confidence becomes the model's score (so ``min_confidence`` filters
on decayed, feedback-adjusted confidence) and its expiry is carried, so
``select_entries`` drops it.
"""

from __future__ import annotations

import dataclasses

from phalanx.channels.model import DeliveryEntry
from phalanx.feedback.assess import Assessment


def with_feedback(entry: DeliveryEntry, assessment: Assessment | None) -> DeliveryEntry:
    """The entry with its owner's confidence score and expiry (unchanged without feedback)."""
    if assessment is None:
        return entry
    return dataclasses.replace(
        entry,
        confidence=assessment.confidence.score,
        expired=entry.expired or assessment.confidence.expired,
    )
