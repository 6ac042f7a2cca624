"""Terminal output for the CLI: Rich for people, JSON for programs, one-line errors.

Exit codes: 0 success; 1 the thing checked is bad (verification or audit failed);
2 the command could not run (bad input, missing or malformed file, bad usage);
3 an unexpected internal error (one line; ``PROVLEDGER_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
import typer
from rich.console import Console

from ledger.errors import LedgerError

console = Console()
err_console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_INTERNAL = 3

P = ParamSpec("P")
R = TypeVar("R")


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (no Rich markup)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, code: int = EXIT_UNUSABLE) -> NoReturn:
    """Print one line to stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn every failure into one line on stderr: the core's typed errors and OS errors
    exit 2; anything unexpected exits 3 (a bug: ``PROVLEDGER_DEBUG=1`` re-raises it)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except LedgerError as exc:
            fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:
            if os.environ.get("PROVLEDGER_DEBUG"):
                raise
            fail(
                f"unexpected {type(exc).__name__}: {exc} (a bug; PROVLEDGER_DEBUG=1 shows where)",
                EXIT_INTERNAL,
            )

    return wrapper
