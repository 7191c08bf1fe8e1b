"""Process tuning for a serving hub (not for library use or tests)."""

from __future__ import annotations

import gc

# A contribution of 50,000 items allocates millions of short-lived containers; with the
# default gen-0 threshold (700) the collector runs thousands of times per request and its
# older-generation passes rescan everything alive, which cost a third of ingest time.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_for_serving() -> None:
    """Collect less often, and never rescan what start-up loaded (modules, caches)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
