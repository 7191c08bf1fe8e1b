"""GET /api/v1/export: stream everything the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from phalanx.api.deps import get_hub, purpose_of, requires
from phalanx.api.observables import report_filter
from phalanx.export.service import MEDIA_TYPES, start_export
from phalanx.members.model import Action, Principal

router = APIRouter(prefix="/api/v1", tags=["export"])


@router.get("/export")
def export(
    request: Request,
    format: str = "stix",
    type: str | None = None,
    label: str | None = None,
    tlp: str | None = None,
    since: str | None = None,
    caller: Principal = Depends(requires(Action.READ_INTEL)),
) -> StreamingResponse:
    """Stream visible reports as ``stix`` (a bundle), ``csv`` or ``text`` (one value per line)."""
    hub = get_hub(request)
    filters = report_filter(type=type, label=label, tlp=tlp, since=since)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    stream = start_export(hub, principal=caller, viewer=viewer, fmt=format, filters=filters)
    extension = {"stix": "json", "csv": "csv", "text": "txt"}.get(format, "out")
    return StreamingResponse(
        stream,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="phalanx-export.{extension}"'},
    )
