"""Lookup: single, bulk and paged reads of observables, merged per viewer."""
