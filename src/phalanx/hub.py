"""The running hub: settings, store and caches, built once and passed to every shell."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from phalanx.clock import Clock, now
from phalanx.members.model import Principal
from phalanx.policy.model import Viewer, World
from phalanx.policy.plan import VisibilityPlan, compile_plan
from phalanx.settings import Settings
from phalanx.store.db import Database
from phalanx.store.migrate import upgrade
from phalanx.store.scopes import ScopeCache
from phalanx.store.world import WorldCache


class PlanCache:
    """Compiled plans per viewer, valid while the world, the scopes and time allow."""

    def __init__(self, size: int = 4_096) -> None:
        self._plans: dict[tuple[object, ...], tuple[int, int, VisibilityPlan]] = {}
        self._size = size
        self._lock = threading.Lock()

    def get(
        self, viewer: Viewer, world: World, scope_count: int, moment: datetime
    ) -> VisibilityPlan | None:
        """Return a cached plan restamped with ``moment``, or None."""
        entry = self._plans.get(dataclasses.astuple(viewer))
        if entry is None or entry[0] != world.version or entry[1] != scope_count:
            return None
        plan = entry[2]
        if plan.stable_until is not None and moment >= plan.stable_until:
            return None
        return dataclasses.replace(plan, now=moment)

    def put(self, viewer: Viewer, world: World, scope_count: int, plan: VisibilityPlan) -> None:
        """Remember a plan."""
        with self._lock:
            if len(self._plans) >= self._size:
                self._plans.clear()
            self._plans[dataclasses.astuple(viewer)] = (world.version, scope_count, plan)


@dataclass
class Hub:
    """Everything a request or CLI command needs besides its own input."""

    settings: Settings
    db: Database
    clock: Clock = now
    scopes: ScopeCache = field(default_factory=ScopeCache)
    worlds: WorldCache = field(default_factory=WorldCache)
    plans: PlanCache = field(default_factory=PlanCache)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True, clock: Clock = now) -> Hub:
        """Connect to the configured store, applying migrations unless told not to."""
        from phalanx.alliance.warninglist_files import check_names

        # A misspelt warninglist fails here, not in the middle of a member's contribution.
        check_names(settings.warninglists, settings.warninglists_dir)
        db = Database(settings.database_url, sqlite_cache_mib=settings.sqlite_cache_mib)
        if migrate:
            upgrade(db)
        return cls(settings=settings, db=db, clock=clock)

    def viewer(self, principal: Principal, purpose: str | None = None) -> Viewer:
        """Return the policy viewer for an authenticated caller."""
        return Viewer(
            org_id=principal.org_id,
            country=principal.org_country,
            user_id=principal.user_id,
            purpose=purpose or principal.purpose,
            hub_admin=principal.is_admin,
        )

    def __post_init__(self) -> None:
        from phalanx.alliance.standing import rule_from  # alliance builds on the hub

        self.worlds.rule = rule_from(self.settings)

    def world(self, conn: Connection) -> World:
        """Return the current policy world (standing as of the hub's clock)."""
        return self.worlds.get(conn, self.clock())

    def plan(self, conn: Connection, viewer: Viewer) -> VisibilityPlan:
        """Return the viewer's visibility plan for now (compiled once, then cached)."""
        moment = self.clock()
        world = self.world(conn)
        scopes = self.scopes.all(conn)
        cached = self.plans.get(viewer, world, len(scopes), moment)
        if cached is not None:
            return cached
        plan = compile_plan(viewer, scopes, world, moment)
        self.plans.put(viewer, world, len(scopes), plan)
        return plan

    def warm_up(self) -> None:
        """Load the policy world and the scopes now, not in the first request that needs them."""
        with self.db.read() as conn:
            self.world(conn)
            self.scopes.all(conn)

    def close(self) -> None:
        """Release the store's connections."""
        self.db.dispose()
