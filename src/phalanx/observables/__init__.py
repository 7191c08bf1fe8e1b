"""Observables: kinds, refanging, canonical forms, deterministic ids. PURE.

This package imports nothing from sqlalchemy, starlette, fastapi or httpx and does no I/O.
An *observable* is one canonical (type, value) pair; every report about the same thing
points at the same observable. :func:`normalize` is the only way values enter the system;
:func:`extract_observables` finds candidates in free text and normalises each.
"""

from phalanx.observables.extract import Extraction, extract_observables
from phalanx.observables.kinds import ObservableType
from phalanx.observables.model import InvalidObservable, Observable
from phalanx.observables.normalize import (
    detect_type,
    display_value,
    normalize,
    normalize_many,
)
from phalanx.observables.refang import refang
from phalanx.observables.reserved import never_deploy_reason

__all__ = [
    "Extraction",
    "InvalidObservable",
    "Observable",
    "ObservableType",
    "detect_type",
    "display_value",
    "extract_observables",
    "never_deploy_reason",
    "normalize",
    "normalize_many",
    "refang",
]
