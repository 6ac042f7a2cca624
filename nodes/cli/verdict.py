"""The verdict of a check, in one vocabulary for ``verify``, ``verify-receipt``,
``verify-fact`` and ``receipt``.

- ``VERIFIED``: every proof and signature checks against trust.json (exit 0).
- ``NOT ANCHORED``: these bytes have no anchor (for ``verify-receipt FILE``: this receipt
  anchors other bytes); the details name the anchored document they resemble and the
  paragraphs that differ, if any (exit 1).
- ``NOT VERIFIED``: a proof or signature check failed, or a file is not a well-formed
  receipt or proof (exit 1).

Promises: the verdict is the first line a command prints on stdout, in capitals, with
the subject after it; details follow on the next lines. With ``--json`` the same word is
the ``verdict`` field.
"""

from __future__ import annotations

from typing import Literal

from rich.markup import escape

from nodes.cli.output import console

Verdict = Literal["VERIFIED", "NOT ANCHORED", "NOT VERIFIED"]
VERIFIED: Verdict = "VERIFIED"
NOT_ANCHORED: Verdict = "NOT ANCHORED"
NOT_VERIFIED: Verdict = "NOT VERIFIED"

_STYLE = {VERIFIED: "bold green", NOT_ANCHORED: "bold red", NOT_VERIFIED: "bold red"}


def print_verdict(verdict: Verdict, subject: str, why: str | None = None) -> None:
    """Print ``VERDICT subject`` (and ``: why``) as one line on stdout."""
    tail = f": {escape(why)}" if why else ""
    console.print(
        f"[{_STYLE[verdict]}]{verdict}[/] {escape(subject)}{tail}", highlight=False, soft_wrap=True
    )
