"""The ``phalanx`` command: thin commands over the same services the API uses.

Errors from the error tree become exit codes (see ``exit_code``) and one line on stderr;
every command that creates something takes ``--json`` and prints the object as one line.
"""

from __future__ import annotations

from phalanx.cli.app import app, main

__all__ = ["app", "main"]
