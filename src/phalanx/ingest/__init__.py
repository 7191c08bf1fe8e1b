"""Ingest: turn a contribution into reports. ``items.py`` is PURE (validation and merging of
defaults); ``pipeline.py`` is the shell: parse -> prepare -> store -> audit."""
