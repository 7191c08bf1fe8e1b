"""Plain text: one value per line; ``#`` starts a comment line. PURE."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from phalanx.formats.base import FormatSpec, ParseProblem, ReadResult


def read_lines(payload: bytes, options: Mapping[str, Any]) -> Iterator[ReadResult]:
    """Yield one item per non-blank, non-comment line (type detected automatically)."""
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield ParseProblem(f"text must be UTF-8 ({error.reason} at byte {error.start})")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if value and not value.startswith("#"):
            yield {"value": value, "_line": number}


FORMAT = FormatSpec(
    name="text",
    media_types=("text/plain",),
    read=read_lines,
    description="One indicator per line; '#' comments",
    extensions=(".txt", ".lst"),
)
