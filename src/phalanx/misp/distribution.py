"""MISP distribution levels and sharing groups -> Phalanx markings and communities. PURE.

MISP limits how far an event travels with ``distribution`` (spec-notes §4.1); Phalanx limits
who sees a report with its TLP and scope. An element's effective distribution is the most
restrictive of the event's, its object's and its own (``5`` = inherit from the parent), as in
MISP, where an attribute never travels further than its event. Then:

==========================  ==========================================================
MISP distribution           Phalanx marking of each imported item
==========================  ==========================================================
0  your organisation only   at least TLP:AMBER+STRICT with no recipients and no
                            communities: only the contributor's organisation sees it
1  this community only      at least TLP:GREEN (every member of this hub)
2  connected communities    at least TLP:GREEN (onward sharing to peer hubs follows the
                            hub's federation rules, which GREEN allows)
3  all communities          the TLP tag (or the contribution's default) alone decides
4  sharing group            the community named like the sharing group, at least
                            TLP:GREEN; the contributor must be a member of it, else the
                            item is rejected (a sharing group never widens to "everyone")
absent (feed events)        as 3: MISP feeds carry no distribution
==========================  ==========================================================

Two different sharing groups on one element (event and attribute) would need their
intersection, which a community list cannot express: such an element is treated as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phalanx.errors import InvalidInput
from phalanx.misp.envelope import as_int
from phalanx.policy.markings import TLP

INHERIT = 5


@dataclass(frozen=True, slots=True)
class Reach:
    """How far one element may travel: a MISP level, and the sharing group when it is 4."""

    level: int  # 0-4, or 3 when nothing restricts it
    sharing_group: str | None = None

    @property
    def rank(self) -> int:
        """Restrictiveness: all < connected < community < sharing group < organisation."""
        return (4, 2, 1, 0, 3)[self.level]


EVERYONE = Reach(3)


def reach_of(element: dict[str, Any], parent: Reach, *, where: str) -> Reach:
    """The effective reach of an event, object or attribute given its parent's reach."""
    try:
        level = as_int(element.get("distribution"), INHERIT)
    except ValueError:
        level = -1
    if level is None or level == INHERIT:
        return parent
    if not 0 <= level <= 4:
        raise InvalidInput(
            f"{where}: distribution must be 0-5, not {element.get('distribution')!r}",
            field="distribution",
        )
    own = Reach(level, _sharing_group(element, where) if level == 4 else None)
    if own.level == 4 and parent.level == 4 and own.sharing_group != parent.sharing_group:
        return Reach(0)
    return own if own.rank >= parent.rank else parent


def _sharing_group(element: dict[str, Any], where: str) -> str:
    group = element.get("SharingGroup")
    name = group.get("name") if isinstance(group, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(
            f"{where}: distribution 4 (sharing group) needs the SharingGroup with its name "
            f"(sharing_group_id {element.get('sharing_group_id')!r} alone cannot be resolved)",
            field="SharingGroup",
        )
    return name.strip()


def marking_fields(reach: Reach, tlp: TLP | None) -> dict[str, Any]:
    """The item fields a reach sets: a TLP floor, and communities/recipients when it limits."""
    if reach.level == 0:
        floor: TLP | None = TLP.AMBER_STRICT
        fields: dict[str, Any] = {"communities": [], "share_with": []}
    elif reach.level == 4:
        floor, fields = TLP.GREEN, {"communities": [reach.sharing_group]}
    elif reach.level in (1, 2):
        floor, fields = TLP.GREEN, {}
    else:
        floor, fields = None, {}
    # Without a TLP the contribution's default applies (TLP:AMBER unless the caller says
    # otherwise); a floor above AMBER must then be stated, one at or below it changes nothing.
    if tlp is not None:
        fields["tlp"] = (tlp if floor is None or tlp.rank >= floor.rank else floor).value
    elif floor is not None and floor.rank > TLP.AMBER.rank:
        fields["tlp"] = floor.value
    return fields


def attach_sharing_groups(event: dict[str, Any], groups: dict[str, str]) -> dict[str, Any]:
    """Add ``SharingGroup {name}`` to event, objects and attributes by ``sharing_group_id``.

    ``groups`` maps sharing group ids to names (from MISP's ``/sharing_groups`` answer, see
    :func:`sharing_group_names`); elements that already carry a SharingGroup keep it.
    """

    def attach(element: dict[str, Any]) -> None:
        group_id = str(element.get("sharing_group_id") or "0")
        if "SharingGroup" not in element and group_id in groups:
            element["SharingGroup"] = {"id": group_id, "name": groups[group_id]}

    attach(event)
    for obj in event.get("Object") or ():
        if isinstance(obj, dict):
            attach(obj)
            for attribute in obj.get("Attribute") or ():
                if isinstance(attribute, dict):
                    attach(attribute)
    for attribute in event.get("Attribute") or ():
        if isinstance(attribute, dict):
            attach(attribute)
    return event


def sharing_group_names(document: Any) -> dict[str, str]:
    """Sharing group id -> name from MISP's sharing group list (API shape or bare list)."""
    items = document.get("response", document) if isinstance(document, dict) else document
    names = {}
    for item in items if isinstance(items, list) else ():
        group = item.get("SharingGroup", item) if isinstance(item, dict) else None
        if isinstance(group, dict) and group.get("id") is not None and group.get("name"):
            names[str(group["id"])] = str(group["name"])
    if not names:
        raise InvalidInput("no sharing groups found (expected MISP's sharing group list)")
    return names
