"""TAXII 2.1 server (OASIS TAXII 2.1, 10 June 2021; spec-notes §1).

One module per spec concept, as medallion does: ``media`` (§1.6.8, 3.1 content negotiation),
``query`` (§3.4 filtering and §3.5 pagination parameters, PURE), ``resources`` (the JSON
resources of §4-5, PURE), ``collections`` (which collections a caller has), ``ingest`` (§5.5
Add Objects: the STIX object store and the contribution pipeline), ``errors`` (the TAXII error
resource) and ``views`` (the endpoints). Every read goes through the one policy (the visible
condition of store/visibility.py) before anything is shown, counted or paged.
"""
