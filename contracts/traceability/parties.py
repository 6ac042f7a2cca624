"""Parties an event names: organisations of the roster, never a name that merely looks
like one.

Promise: ``check_party(roster, where, name)`` returns when ``name`` is an organisation of
``roster`` and otherwise raises ``Rejection`` naming the argument, the unknown party, the
closest organisation name if one is close (``difflib``), and every organisation of the
roster. The roster is the one the contract reads through its state view (see
``Traceability.apply``), so every node refuses the same call for the same reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from contracts.base import Rejection
from contracts.membership.roster import Roster

# The argument of each action that names a party other than the sender.
PARTY_ARGS: Mapping[str, str] = {"ship": "receiver", "transact": "new_owner"}


def closest(name: str, known: list[str]) -> str | None:
    """The known name closest to ``name``, if one is close enough to be a typo."""
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_party(name: str, known: list[str]) -> str:
    """The sentence saying that ``name`` is not one of the ``known`` organisations."""
    guess = closest(name, known)
    hint = f"; did you mean {guess!r}?" if guess is not None else ""
    return (
        f"{name!r} is not an organisation of the consortium{hint} "
        f"(organisations: {', '.join(known) or 'none'})"
    )


def check_party(roster: Roster, where: str, name: str) -> None:
    """Refuse ``name`` unless it is an organisation of ``roster``."""
    if roster.organisation(name) is None:
        known = [o.name for o in roster.organisations]
        raise Rejection(f"{where}: {unknown_party(name, known)}", "unknown_party")
