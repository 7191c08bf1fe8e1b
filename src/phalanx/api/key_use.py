"""When API keys were last used: noted by requests, written by a background thread.

A request that wrote the time itself would turn a read into a write transaction: on SQLite
it waits for the single writer (a large contribution holds it for a second or more), on
PostgreSQL for a WAL flush, which after a bulk ingest took tens of milliseconds. Those were
the slowest TAXII pages. Requests only note the time; every ``FLUSH_S`` a thread writes the
noted times in one transaction, and the app writes what is left when it stops.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from phalanx.hub import Hub
from phalanx.members.service import touch_key

log = logging.getLogger("phalanx")

TOUCH_EVERY_S = 60.0  # per key and process: last-used times are precise to the minute
FLUSH_S = 5.0


class KeyUse:
    """Last-used times noted by requests and not yet written."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}  # key -> monotonic time it was last noted
        self._pending: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hub: Hub | None = None

    def used(self, key_db_id: int, now: datetime) -> None:
        """Note that a key was used now (at most once a minute per key counts)."""
        moment = time.monotonic()
        with self._lock:
            if moment - self._last.get(key_db_id, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
                return
            self._last[key_db_id] = moment
            self._pending[key_db_id] = now

    def start(self, hub: Hub) -> None:
        """Write the noted times every ``FLUSH_S`` until ``stop``."""
        self._hub = hub
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="key-use", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is still noted."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        self.flush()

    def flush(self) -> int:
        """Write the noted times in one transaction; how many keys were written."""
        if self._hub is None:
            return 0  # not started: keep them until there is a store to write to
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            with self._hub.db.transaction() as conn:
                for key_db_id, at in sorted(pending.items()):
                    touch_key(conn, key_db_id=key_db_id, now=at)
        except Exception:  # the store may be briefly unreachable: keep them for the next turn
            log.exception("writing API keys' last-used times failed; retrying")
            with self._lock:
                self._pending = {**pending, **self._pending}
            return 0
        return len(pending)

    def _loop(self) -> None:
        while not self._stop.wait(FLUSH_S):
            self.flush()
