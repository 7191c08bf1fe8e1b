"""One Settings object, built once by the app factory or the CLI and passed down.

Values come from ``PHALANX_*`` environment variables, optionally from a TOML file named by
``PHALANX_CONFIG`` (environment wins). Nothing reads settings at import time.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///./phalanx.db"
TAXII_DERIVATIONS = ("background", "inline")


@dataclass(frozen=True, slots=True)
class Settings:
    """Hub configuration; every field has a safe default and a ``PHALANX_<NAME>`` variable."""

    database_url: str = DEFAULT_DATABASE_URL
    hub_name: str = "Phalanx"
    base_url: str = "http://127.0.0.1:8000"
    # Explicit request limits (DESIGN: "Limits are explicit and documented").
    max_payload_bytes: int = 64 * 1024 * 1024
    max_items_per_contribution: int = 100_000
    max_lookup_values: int = 10_000
    max_page_size: int = 1_000
    default_page_size: int = 100
    max_comment_chars: int = 4_096
    # Hub admins see anonymous contributors only when the operator says so (issue 3, item 5).
    admins_see_anonymous: bool = False
    default_purpose: str = "network-defense"
    # Personal names redacted from every contributor's free text (issue 3, item 6).
    redaction_names: tuple[str, ...] = ()
    # Deployment channels (issue 5): how long a feed's content may be served without being
    # recomputed (unless policy or new reports changed), and the compliance rules.
    channel_refresh_seconds: int = 60
    compliance_sla_hours: int = 24
    compliance_min_share_percent: int = 90
    compliance_consequence: str = "report"  # report | warn | downgrade
    log_level: str = "info"
    # TAXII status resources (taxii/ingest.py) are kept this long after their POST.
    taxii_status_hours: int = 168
    # Where TAXII POSTs become reports (taxii/derive.py): "background" or "inline".
    taxii_derivation: str = "background"
    # Confidence half-lives per kind, "ipv4=14,domain=90" (feedback/confidence.py).
    half_lives: tuple[str, ...] = ()
    sqlite_cache_mib: int = 256
    # Alliance rules (issue 5): warninglists and the give-to-get standing rule (0: off).
    warninglists: tuple[str, ...] = ("default",)
    warninglists_dir: str = ""
    standing_min_points_per_day: float = 0.0
    standing_window_days: int = 30
    standing_grace_days: int = 14
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.taxii_derivation not in TAXII_DERIVATIONS:
            raise ValueError(
                f"PHALANX_TAXII_DERIVATION must be one of {', '.join(TAXII_DERIVATIONS)}, "
                f"got {self.taxii_derivation!r}"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from a TOML file (``PHALANX_CONFIG``), then the environment."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        config_path = env.get("PHALANX_CONFIG")
        if config_path:
            values.update(_read_toml(Path(config_path)))
        for spec in fields(cls):
            raw = env.get(f"PHALANX_{spec.name.upper()}")
            if raw is not None and spec.name != "extra":
                values[spec.name] = _coerce(spec.name, raw, getattr(cls(), spec.name))
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (tests use this)."""
        return replace(self, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    section = data.get("phalanx", data)
    known = {spec.name for spec in fields(Settings)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ValueError(f"{path}: unknown settings {', '.join(unknown)}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in section.items()}


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"PHALANX_{name.upper()} must be true or false, got {raw!r}")
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"PHALANX_{name.upper()} must be a number, got {raw!r}") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"PHALANX_{name.upper()} must be an integer, got {raw!r}") from None
    return raw
