"""A fault: one broken rule of the chain, named, with what was expected and what was found.

The checks of ``ledger.successor`` and ``ledger.certified`` return faults instead of
raising, so that each caller words them its own way: a validator's reason for refusing
a proposal, the store's ``StoreError``, the audit's finding, the verifier's
``ReceiptError``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One failed check: ``check`` names it (``"prev_hash"``, ``"certificate"``…),
    ``message`` says what is wrong in a sentence, ``expected``/``actual`` show the values
    that differ where there are two to show."""

    check: str
    message: str
    expected: str | None = None
    actual: str | None = None

    def __str__(self) -> str:
        return self.message
