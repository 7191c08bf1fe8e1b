"""GET /api/v1/export: stream everything the caller may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from phalanx.api.deps import get_hub, purpose_of, requires
from phalanx.api.observables import report_filter
from phalanx.export.service import MEDIA_TYPES, start_export
from phalanx.members.model import Action, Principal
from phalanx.misp import service as misp

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
    """Stream visible reports as ``stix`` (a bundle), ``csv``, ``text`` or ``misp`` (events)."""
    hub = get_hub(request)
    filters = report_filter(type=type, label=label, tlp=tlp, since=since)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    if format == "misp":
        stream = misp.start_export(hub, principal=caller, viewer=viewer, filters=filters)
    else:
        stream = start_export(hub, principal=caller, viewer=viewer, fmt=format, filters=filters)
    extension = {"stix": "json", "csv": "csv", "text": "txt", "misp": "json"}.get(format, "out")
    return StreamingResponse(
        stream,
        media_type=MEDIA_TYPES.get(format, misp.MEDIA_TYPE),
        headers={"Content-Disposition": f'attachment; filename="phalanx-export.{extension}"'},
    )
