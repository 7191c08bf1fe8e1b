"""The alliance rules: published sources, warninglists, novelty, scoring, give-to-get tiers.

PURE core (no sqlalchemy, starlette or httpx; time arrives as an argument):

* ``warninglists.py``  known-benign values (MISP warninglists) and a fast bulk index;
* ``novelty.py``       novel / corroborating / published / benign, and what the contributor
                       may be told;
* ``scoring.py``       the points formula, explainable row by row;
* ``tiers.py``         good standing: rolling average, grace period, trend and gap.

Thin shells around it: ``warninglist_files.py`` (reading list files), ``ledger.py`` (ledger
rows, feedback from sightings and false positives), ``standing.py`` (stored standing and the
policy world), ``feeds.py`` (published sources).
"""
