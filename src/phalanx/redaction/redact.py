"""Replacing what ``scan`` finds with placeholders, and telling the contributor what went. PURE.

Overlapping findings are merged into one redaction covering all of them (so no part of any
finding stays readable); it takes the kind of its longest finding, the earliest on a tie.
Replacing text can put new neighbours next to each other, so the result is scanned again and
anything found there is mapped back to the original and merged in, until nothing is found.
Each round redacts at least one more original character, so this ends; and because the final
text scans clean, redacting it again changes nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from phalanx.redaction.model import Redaction, RedactionResult, RedactionRules, Span, placeholder
from phalanx.redaction.scan import scan


@dataclass(frozen=True, slots=True)
class _Piece:
    """A stretch of the output: original[start:end] copied, or replaced by a placeholder."""

    out_start: int
    out_end: int
    start: int
    end: int
    replaced: bool


def redact(text: str, rules: RedactionRules) -> RedactionResult:
    """Replace personal data in free text by placeholders; report each redaction by kind."""
    found = scan(text, rules)
    if not found:
        return RedactionResult(text=text)
    merged = merge_spans(found)
    while True:
        output, pieces = _render(text, merged)
        again = scan(output, rules)
        if not again:
            break
        starts = [piece.out_start for piece in pieces]
        mapped = [_to_original(span, pieces, starts) for span in again]
        merged = merge_spans([*merged, *mapped])
    redactions = tuple(
        Redaction(span.kind, span.start, span.end, span.end - span.start) for span in merged
    )
    return RedactionResult(text=output, redactions=redactions)


def merge_spans(spans: list[Span] | tuple[Span, ...]) -> list[Span]:
    """Merge overlapping spans; each merged span takes the kind of its longest member."""
    merged: list[Span] = []
    longest: Span | None = None
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            if longest is None or span.end - span.start > longest.end - longest.start:
                longest = span
            end = max(merged[-1].end, span.end)
            merged[-1] = Span(merged[-1].start, end, longest.kind)
        else:
            longest = span
            merged.append(span)
    return merged


def _render(text: str, spans: list[Span]) -> tuple[str, list[_Piece]]:
    """Return the text with each span replaced, and how output maps onto the original."""
    parts: list[str] = []
    pieces: list[_Piece] = []
    position = written = 0
    for span in [*spans, None]:
        start = len(text) if span is None else span.start
        if start > position:
            parts.append(text[position:start])
            pieces.append(_Piece(written, written + start - position, position, start, False))
            written += start - position
        if span is None:
            break
        marker = placeholder(span.kind)
        parts.append(marker)
        pieces.append(_Piece(written, written + len(marker), span.start, span.end, True))
        written += len(marker)
        position = span.end
    return "".join(parts), pieces


def _to_original(span: Span, pieces: list[_Piece], starts: list[int]) -> Span:
    """Map a span of the output to the original, widening it to whole placeholders."""
    first = pieces[bisect_right(starts, span.start) - 1]
    last = pieces[bisect_right(starts, span.end - 1) - 1]
    start = first.start if first.replaced else first.start + span.start - first.out_start
    end = last.end if last.replaced else last.start + span.end - last.out_start
    return Span(start, end, span.kind)
