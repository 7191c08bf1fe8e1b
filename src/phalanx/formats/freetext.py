"""Free text: indicators extracted from a report body, defanged or not. PURE."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from phalanx.formats.base import FormatSpec, ParseProblem, ReadResult
from phalanx.observables.extract import extract_observables


def read_freetext(payload: bytes, options: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Yield one item per indicator found in the text (rejected candidates say why)."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield ParseProblem(f"text must be UTF-8 ({error.reason} at byte {error.start})")
        return
    for found in extract_observables(text):
        line = text.count("\n", 0, found.start) + 1
        if found.observable is None:
            reason = found.error.reason if found.error is not None else "not an indicator"
            yield ParseProblem(reason, line=line, input=found.raw)
        else:
            obs = found.observable
            yield {"type": obs.type.value, "value": obs.value, "_input": found.raw, "_line": line}


FORMAT = FormatSpec(
    name="freetext",
    media_types=("text/x-freetext",),
    read=read_freetext,
    description="Prose (a threat report); IOCs are extracted, defanged or not",
    extensions=(".md",),
)
