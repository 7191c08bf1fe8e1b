"""Shared CLI plumbing: opening the hub, printing JSON, mapping errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import orjson
import typer
from rich.console import Console

from phalanx.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PhalanxError,
    PolicyDenied,
    TooLarge,
    Unauthorized,
    Unsupported,
    UpstreamError,
)
from phalanx.hub import Hub
from phalanx.settings import Settings

err = Console(stderr=True)
out = Console()

EXIT_CODES: dict[type[PhalanxError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    Conflict: 4,
    Unauthorized: 5,
    Forbidden: 5,
    PolicyDenied: 5,
    TooLarge: 6,
    Unsupported: 7,
    UpstreamError: 8,
}

P = ParamSpec("P")
R = TypeVar("R")


def exit_code(error: PhalanxError) -> int:
    """Return the exit code for an error (1 for anything unmapped)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn PhalanxErrors raised by a command into a message and an exit code."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PhalanxError as error:
            err.print(f"[red]error:[/red] {error.message}", highlight=False)
            raise typer.Exit(exit_code(error)) from None

    return run


@contextmanager
def open_hub(settings: Settings | None = None) -> Iterator[Hub]:
    """Open the configured store (migrating it) for the duration of a command."""
    hub = Hub.open(settings or Settings.from_env())
    try:
        yield hub
    finally:
        hub.close()


def print_json(data: Any) -> None:
    """Print one compact JSON object on stdout."""
    sys.stdout.write(orjson.dumps(data).decode() + "\n")
    sys.stdout.flush()
