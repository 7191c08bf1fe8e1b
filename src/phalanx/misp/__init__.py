"""MISP events and feeds in and out (spec-notes §4).

Pure modules (no sqlalchemy, starlette or httpx; time and ids arrive as arguments):
``envelope`` (the three event envelopes, MISP's numbers-as-strings), ``attributes`` (MISP
attribute types to observable kinds), ``tags`` (TLP/PAP tags, galaxies and labels both ways),
``distribution`` (MISP distribution and sharing groups to markings), ``reader`` (an event to
contribution item records, the ``misp`` contribution format), ``writer`` (visible reports to
MISP events) and ``feed`` (events to a MISP feed directory's files).

I/O shells: ``service`` (policy-filtered export, audited) and ``cli`` (``phalanx misp``).

The mapping both ways is documented in README.md, section "MISP".
"""
