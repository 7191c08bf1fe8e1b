"""Feedback: sightings, false positives and expiry; pooled opinions; confidence; reputation.

A *sighting* is one organisation's statement about an observable it may see: ``seen`` (it
appeared in that organisation's traffic or logs, ``count`` times between ``first_seen`` and
``last_seen``), ``false-positive`` (it is not malicious) or ``expired`` (it is no longer
active). A sighting attaches to the reports of that observable the sighter may see when it
is recorded; whoever may see one of those reports may see the sighting, in aggregate.

PURE except ``store.py`` and ``service.py``: ``model``, ``items``, ``stix``, ``evidence``,
``confidence``, ``opinion``, ``reputation``, ``assess``, ``delivery`` and ``events`` import
nothing from sqlalchemy, starlette or httpx and do no I/O; time arrives as an argument.

Flow: ``items``/``stix`` read a request -> ``service.record_sightings`` attaches each
sighting to the reports its sighter may see and updates the observable's ``evidence`` state
and the contributors' ``reputation`` in one transaction -> reads filter the state to the
reports the viewer may see and ``assess`` it (``opinion``, ``confidence``).
"""
