"""Feedback events for other parts of the hub (alliance scoring, notifications). PURE.

The sightings service returns them once the sightings are stored; the API publishes them
after the transaction commits through :class:`FeedbackHooks`, which the application keeps
on ``app.state.feedback_hooks``. Subscribers must not raise; one that does is logged and
skipped, and never undoes what was stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("phalanx.feedback")


@dataclass(frozen=True, slots=True)
class SightingRecorded:
    """An organisation stated something about an observable; it attached to these reports."""

    sighting_id: str
    org_id: int
    observable_type: str
    observable_value: str
    kind: str  # seen | false-positive | expired
    count: int
    report_ids: tuple[int, ...]
    at: int  # microseconds


@dataclass(frozen=True, slots=True)
class ReputationChanged:
    """A contributor's record moved (new totals and score)."""

    org_id: int
    confirmed: int
    false_positives: int
    score: float


FeedbackEvent = SightingRecorded | ReputationChanged
Subscriber = Callable[[Sequence[FeedbackEvent]], None]


@dataclass
class FeedbackHooks:
    """Subscribers to feedback events."""

    subscribers: list[Subscriber] = field(default_factory=list)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` with each batch of events from now on."""
        self.subscribers.append(subscriber)

    def publish(self, events: Sequence[FeedbackEvent]) -> None:
        """Hand a batch of events to every subscriber."""
        if not events:
            return
        for subscriber in self.subscribers:
            try:
                subscriber(events)
            except Exception:  # a subscriber's failure must not fail a stored request
                log.exception("A feedback subscriber failed; the sightings stay recorded.")
