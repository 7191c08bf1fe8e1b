"""GET /api/v1/match/snapshot: the matchable indicators the caller may see, streamed.

What ``phalanx match`` builds its index from. One JSON line per distinct observable of a
matchable type (matcher.MATCHABLE_TYPES) with at least one report the caller may see,
read through the same visible-reports query as every other read path. The first line is a
header: ``{"snapshot": {"as_of", "types"}}``; the last is ``{"count": N}`` so a client can
tell a complete snapshot from a cut-off one.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from phalanx.api.deps import get_hub, purpose_of, requires
from phalanx.audit.record import record
from phalanx.clock import format_timestamp, to_micros
from phalanx.hub import Hub
from phalanx.matcher.index import MATCHABLE_TYPES
from phalanx.members.model import Action, Principal
from phalanx.policy.model import Viewer
from phalanx.store import reports as report_store
from phalanx.store.reports import ReportFilter

router = APIRouter(prefix="/api/v1", tags=["match"])
MEDIA = "application/x-ndjson"


@router.get("/match/snapshot")
def match_snapshot(
    request: Request, caller: Principal = Depends(requires(Action.READ_INTEL))
) -> StreamingResponse:
    """Stream the caller's matchable indicators as JSON lines (header, items, count)."""
    hub = get_hub(request)
    viewer = hub.viewer(caller, purpose_of(request, caller))
    with hub.db.transaction() as conn:
        record(
            conn, hub.db, action="match.snapshot", at=to_micros(hub.clock()),
            actor_org_id=caller.org_id, actor=caller.key_id, subject="match:snapshot",
            details={"purpose": viewer.purpose},
        )  # fmt: skip
    return StreamingResponse(snapshot_lines(hub, viewer), media_type=MEDIA)


def snapshot_lines(hub: Hub, viewer: Viewer) -> Iterator[bytes]:
    """The snapshot's JSON lines, one observable each, in observable-key order."""
    types = sorted(kind.value for kind in MATCHABLE_TYPES)
    header = {"snapshot": {"as_of": format_timestamp(hub.clock()), "types": types}}
    yield orjson.dumps(header) + b"\n"
    count = 0
    wanted = frozenset(types)
    with hub.db.read() as conn:
        plan = hub.plan(conn, viewer)
        last = None
        for batch in report_store.iter_visible(conn, plan, ReportFilter(), by_observable=True):
            lines = []
            for row in batch:
                key = row["observable_id"]
                if key == last or row["obs_type"] not in wanted:
                    continue
                last = key
                lines.append(orjson.dumps({"type": row["obs_type"], "value": row["obs_value"]}))
            count += len(lines)
            if lines:
                yield b"\n".join(lines) + b"\n"
    yield orjson.dumps({"count": count}) + b"\n"
