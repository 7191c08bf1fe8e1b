"""Hypothesis profiles for the policy property tests: how many worlds each layer draws.

The default run draws at least 1,000 worlds (the pure plan test, and the visibility SQL on a
SQLite store) and keeps the package well under a minute on two test processes. The
``nightly`` profile draws twenty times as many worlds in every test::

    pytest tests/policy --hypothesis-profile=nightly

Hypothesis loads ``--hypothesis-profile`` when pytest starts, before pytest reads this
directory's conftest (which registers the profile): name ``tests/policy`` on the command line
as above, or register the profile from ``tests/conftest.py`` to use it for the whole suite.
Counts are per test function; the store-backed tests run once per engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

NIGHTLY = "nightly"
NIGHTLY_SCALE = 20

# Worlds per test in the default run (the nightly profile multiplies them).
EXAMPLES = {
    "plan": 1_000,  # pure: plan compilation (and the plan cache) vs decide()
    "sql-sqlite": 1_000,  # the visibility SQL on a store, every viewer
    "sql-postgres": 100,  # (a world costs more round trips on PostgreSQL)
    "store-sqlite": 100,  # every storage read, keyset batches and pages, every viewer
    "store-postgres": 25,
    "services-sqlite": 40,  # lookup, listing, report, statistics, export, explain, outcomes
    "services-postgres": 12,
    "api-sqlite": 12,  # the REST API end to end
    "api-postgres": 6,
    "taxii-sqlite": 12,  # TAXII reads over HTTP (objects, manifest, versions, by id, status)
    "taxii-postgres": 6,
}


def register() -> None:
    """Register the nightly profile (idempotent)."""
    settings.register_profile(
        NIGHTLY,
        max_examples=1_000 * NIGHTLY_SCALE,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def examples(layer: str) -> int:
    """Worlds to draw for a layer under the active profile."""
    scale = NIGHTLY_SCALE if settings.get_current_profile_name() == NIGHTLY else 1
    return EXAMPLES[layer] * scale


def policy_settings(layer: str) -> Callable[[Any], Any]:
    """The ``@settings`` of a policy property test for a layer (see EXAMPLES)."""
    return settings(
        max_examples=examples(layer),
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
