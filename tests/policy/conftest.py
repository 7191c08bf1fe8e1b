"""Policy property tests: hypothesis profiles (see profiles.py)."""

from __future__ import annotations

from .profiles import register

register()
