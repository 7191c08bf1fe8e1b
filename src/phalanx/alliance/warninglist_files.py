"""Read MISP warninglists from disk: the lists bundled with ``pymispwarninglists`` plus any
``lists/<name>/list.json`` directory the hub is configured with (``PHALANX_WARNINGLISTS_DIR``).

``PHALANX_WARNINGLISTS`` chooses lists by name; ``default`` is the lists of values that are
benign in themselves: reserved and documentation ranges, public resolvers, empty-file and
common false-positive hashes, the most popular domains, CDN edge ranges and sinkholes. Cloud
provider ranges (AWS, Azure, GCP...), VPN ranges and URL shorteners are *not* in it: attackers
rent those, and a C2 on AWS is still a C2 (name them explicitly, or say ``all``). A list in the
configured directory replaces the bundled list of the same name.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import orjson

from phalanx.alliance.warninglists import WarningList, WarninglistIndex, parse_list

DEFAULT = (
    "rfc1918",
    "rfc5735",
    "rfc6598",
    "rfc3849",
    "rfc6761",
    "ipv6-linklocal",
    "multicast",
    "public-dns-v4",
    "public-dns-v6",
    "public-dns-hostname",
    "empty-hashes",
    "common-ioc-false-positive",
    "cisco_top1000",
    "tranco10k",
    "cloudflare",
    "akamai",
    "fastly",
    "sinkholes",
    "automated-malware-analysis",
)
_cache: dict[tuple[tuple[str, ...], str], WarninglistIndex] = {}
_lock = threading.Lock()


def bundled_dir() -> Path | None:
    """The ``lists`` directory inside the installed ``pymispwarninglists`` package, if any."""
    # Located, not imported: importing the package costs seconds (it loads PyMISP).
    spec = importlib.util.find_spec("pymispwarninglists")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    path = package / "data" / "misp-warninglists" / "lists"
    return path if path.is_dir() else None


def available(extra_dir: str | Path | None = None) -> dict[str, Path]:
    """Every list file found, by list name (the configured directory wins on a clash)."""
    found: dict[str, Path] = {}
    for root in (bundled_dir(), Path(extra_dir) / "lists" if extra_dir else None):
        if root is None or not root.is_dir():
            continue
        found.update(_lists_in(root))
    # A directory given without its "lists" level is accepted too.
    if extra_dir and not (Path(extra_dir) / "lists").is_dir():
        found.update(_lists_in(Path(extra_dir)))
    return found


def _lists_in(root: Path) -> dict[str, Path]:
    # One directory listing, not a recursive glob: glob stats every file of 119 lists.
    names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    return {name: root / name / "list.json" for name in names}


def choose(names: Iterable[str], found: dict[str, Path]) -> list[str]:
    """Resolve ``default`` / ``all`` / explicit names; raise ValueError naming unknown ones."""
    chosen: list[str] = []
    for name in names:
        if name == "all":
            chosen.extend(found)
        elif name == "default":
            chosen.extend(n for n in DEFAULT if n in found)
        elif name in found:
            chosen.append(name)
        else:
            raise ValueError(
                f"unknown warninglist {name!r} in PHALANX_WARNINGLISTS; use default, all, or "
                "the name of a lists/<name>/list.json (bundled or in PHALANX_WARNINGLISTS_DIR)"
            )
    return list(dict.fromkeys(chosen))


def check_names(names: Iterable[str], extra_dir: str = "") -> None:
    """Raise ValueError naming any configured list that does not exist (a directory listing)."""
    choose(names, available(extra_dir or None))


def read_list(name: str, path: Path) -> WarningList:
    """Parse one ``list.json``; raise ValueError naming the file when it is malformed."""
    try:
        return parse_list(name, orjson.loads(path.read_bytes()))
    except orjson.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON: {error}") from None


def load_index(names: Iterable[str] = ("default",), extra_dir: str = "") -> WarninglistIndex:
    """Build (once per process and configuration) the index of the chosen lists."""
    key = (tuple(names), extra_dir)
    with _lock:
        index = _cache.get(key)
        if index is None:
            found = available(extra_dir or None)
            chosen = (read_list(n, found[n]) for n in choose(key[0], found))
            index = WarninglistIndex(chosen, suffixes=public_suffixes())
            _cache[key] = index
    return index


@functools.cache
def public_suffixes() -> frozenset[str]:
    """Multi-label public suffixes (``co.uk``, ``github.io``...) from the bundled
    ``second-level-tlds`` warninglist, for registered-domain credit units."""
    path = available().get("second-level-tlds")
    if path is None or not path.is_file():
        return frozenset()
    return frozenset(e.lower() for e in read_list("second-level-tlds", path).entries)
