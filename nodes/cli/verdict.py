"""The verdict of a check, in one vocabulary for ``verify``, ``verify-receipt``,
``verify-fact`` and ``receipt``.

- ``VERIFIED``: every proof and signature checks against trust.json (exit 0).
- ``NOT ANCHORED``: these bytes have no anchor (for ``verify-receipt FILE``: this receipt
  anchors other bytes); the details name the anchored document they resemble and the
  paragraphs that differ, if any (exit 1).
- ``NOT VERIFIED``: a proof or signature check failed, or a file is not a well-formed
  receipt or proof (exit 1).

The outcome of a verified transaction, in the words of its committed result
(``outcome``): ``applied (N writes: contract/key…)`` or ``refused (code): reason``; an
applied ``evidence.anchor`` adds whether it is the ``first anchor of this digest`` (it
wrote ``doc/<sha256>`` and no ``redeposit/<tx_id>``) or a ``re-deposit of an anchored
digest`` (it wrote ``redeposit/<tx_id>``).

Promises: the verdict is the first line a command prints on stdout, in capitals, with
the subject after it; details follow on the next lines. With ``--json`` the same word is
the ``verdict`` field.
"""

from __future__ import annotations

import re
from typing import Literal

from rich.markup import escape

from ledger.model.transaction import Transaction
from ledger.results import REFUSED, TxResult
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


FIRST_ANCHOR = "first anchor of this digest"
REDEPOSIT = "re-deposit of an anchored digest"
_LONG_HEX = re.compile(r"[0-9a-f]{64}")


def _short(text: str) -> str:
    """``text`` with each 64-digit hex run cut to its first 16 digits and an ellipsis."""
    return _LONG_HEX.sub(lambda m: m.group()[:16] + "…", text)


def anchor_kind(tx: Transaction, tx_id: str, result: TxResult) -> str | None:
    """For an applied ``evidence.anchor``: ``FIRST_ANCHOR`` or ``REDEPOSIT``, read from
    the writes its result commits to; None for anything else."""
    if (tx.contract, tx.action) != ("evidence", "anchor") or result.status == REFUSED:
        return None
    written = {(w.contract, w.key) for w in result.writes}
    if ("evidence", f"redeposit/{tx_id}") in written:
        return REDEPOSIT
    if ("evidence", f"doc/{tx.args.get('sha256')}") in written:
        return FIRST_ANCHOR
    return None


def outcome(tx: Transaction, tx_id: str, result: TxResult) -> str:
    """One line saying what the transaction did: ``applied (3 writes: evidence/doc/…)``
    (and, for an anchor, which kind) or ``refused (code): reason``."""
    if result.status == REFUSED:
        return f"refused ({result.code}): {result.reason}"
    n = len(result.writes)
    if n == 0:
        text = "applied (no writes)"
    else:
        first = _short(f"{result.writes[0].contract}/{result.writes[0].key}")
        more = "" if n == 1 or first.endswith("…") else ", …"
        text = f"applied ({n} write{'s' if n != 1 else ''}: {first}{more})"
    kind = anchor_kind(tx, tx_id, result)
    return f"{text}; {kind}" if kind else text
