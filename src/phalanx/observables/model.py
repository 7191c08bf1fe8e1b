"""The observable value type. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.observables.kinds import ObservableType


@dataclass(frozen=True, slots=True)
class Observable:
    """One canonical (type, value) pair, e.g. ``Observable(ObservableType.IPV4, "198.51.100.7")``.

    Build it with :func:`phalanx.observables.normalize.normalize`, which guarantees ``value`` is
    canonical; constructing it directly is for values already known to be canonical.
    """

    type: ObservableType
    value: str

    def __str__(self) -> str:
        return f"{self.type.value}:{self.value}"


_new_object = object.__new__
# Slot descriptors set fields directly; the frozen dataclass __init__ pays for
# object.__setattr__ per field, which doubles the cost of the ingest hot path.
_set_type: Any = Observable.__dict__["type"].__set__
_set_value: Any = Observable.__dict__["value"].__set__


def new_observable(kind: ObservableType, value: str) -> Observable:
    """Build an Observable as its constructor would, minus the frozen-init overhead."""
    obs = _new_object(Observable)
    _set_type(obs, kind)
    _set_value(obs, value)
    return obs


class InvalidObservable(InvalidInput):
    """A value that is not an acceptable observable; ``reason`` says exactly why.

    ``kind`` is the observable type the value was checked as, when one was known.
    """

    title = "Invalid observable"

    def __init__(
        self,
        reason: str,
        *,
        value: str | None = None,
        kind: ObservableType | None = None,
        field: str | None = "value",
    ) -> None:
        super().__init__(
            reason, field=field, value=value, kind=None if kind is None else kind.value
        )
        self.kind = kind
