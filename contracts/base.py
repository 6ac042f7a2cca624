"""The contract interface: what a contract is, what it sees, how it refuses.

A contract is a deterministic state machine. ``check_args`` validates a call's
arguments without state; ``apply`` reads state through a ``StateView`` and returns the
writes it makes, or raises ``Rejection``. Neither may read a clock, draw randomness or
do I/O: every node applies the same committed transactions in the same order and must
reach the same state. The block's consensus time and the transaction's place in the log
come in the ``TxContext``.

Also here, small argument checkers that contracts share; each raises ``Rejection``
naming the argument, so that a person can see what to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.canonical import MAX_SAFE_INTEGER
from ledger.model.genesis import Organisation
from ledger.model.transaction import SignedTransaction

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")


class Rejection(Exception):
    """A contract's deterministic refusal of a transaction; ``reason`` is a sentence a
    person can act on, ``code`` a short name a program can (one of ``CODES``, committed
    in the block's results). Every node refuses the same transaction for the same reason."""

    def __init__(self, reason: str, code: str = "refused") -> None:
        super().__init__(reason)
        if code not in CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        self.reason = reason
        self.code = code


class NotPermitted(Rejection):
    """A refusal because none of the sender's roles may call the action (as opposed to a
    refusal of the call itself: unknown contract or action, bad arguments, state)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "not_permitted")


CODES = frozenset(
    {
        "refused",  # a refusal with no more specific code
        "invalid_args",  # the call's arguments are malformed (stateless check)
        "unknown_call",  # no such contract or action
        "not_permitted",  # none of the sender's roles may call the action
        "not_member",  # the sender's organisation is not (or no longer) a member
        "unknown_party",  # an organisation named in the call is not in the roster
        "not_found",  # the product, document or proposal does not exist
        "already_exists",  # the product id, key or approval exists already
        "conflict",  # the call contradicts what the ledger holds (size, facts root)
        "not_custodian",  # only the product's custodian may do this
        "not_owner",  # only the product's owner may do this
        "not_receiver",  # only the organisation a shipment names may receive it
        "not_producer",  # only its producer or a regulator may do this
        "wrong_state",  # recalled, consumed, in transit, packed, holds packed products
        "too_large",  # the call would touch more than one transaction may
    }
)
"""Every refusal code a result may carry."""


@dataclass(frozen=True)
class TxContext:
    """What a contract knows about the transaction it applies besides its arguments."""

    tx_id: str  # hex
    log_index: int
    height: int
    time: str  # the block's consensus time, RFC 3339 UTC
    sender: str  # member key id
    organisation: str  # the sender's organisation
    roles: tuple[str, ...]  # the organisation's roles

    @classmethod
    def of(
        cls,
        tx: SignedTransaction,
        organisation: Organisation,
        *,
        log_index: int,
        height: int,
        time: str,
    ) -> TxContext:
        """The context of ``tx`` sent by a member of ``organisation``, committed at
        ``log_index`` in the block at ``height`` with consensus time ``time``."""
        return cls(
            tx_id=tx.tx_id,
            log_index=log_index,
            height=height,
            time=time,
            sender=tx.tx.sender,
            organisation=organisation.name,
            roles=organisation.roles,
        )


class StateView(Protocol):
    """Read access to contract state."""

    def get(self, contract: str, key: str) -> Any | None:
        """The current value under ``(contract, key)``, or None."""
        ...


class Contract(Protocol):
    """A deterministic state machine named ``name``."""

    name: str
    actions: Mapping[str, frozenset[str]]  # action -> the roles allowed to call it

    def check_args(self, action: str, args: dict[str, Any]) -> None:
        """Validate ``args`` of ``action`` without state; raise ``Rejection``."""
        ...

    def apply(
        self, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
    ) -> list[tuple[str, Any]]:
        """The ``(key, JSON-safe value)`` writes of this contract that the call makes;
        raise ``Rejection`` to refuse it (then nothing is written). Called only with
        args that passed ``check_args``. Pure: no clock, randomness or I/O."""
        ...


# ---- shared argument checks ---------------------------------------------------


def unknown_action(contract: str, action: str) -> Rejection:
    """The refusal of a call to an action that ``contract`` does not have."""
    return Rejection(f"unknown action {action!r} of contract {contract!r}")


def check_action(
    contract: str, checkers: Mapping[str, Callable[[Any, str], None]], action: str, args: Any
) -> None:
    """Check ``args`` of ``action`` with its checker in ``checkers``, which names each
    fault at ``<contract>.<action>``; refuse an action that has no checker as unknown."""
    check = checkers.get(action)
    if check is None:
        raise unknown_action(contract, action)
    check(args, f"{contract}.{action}")


@dataclass(frozen=True)
class Arg:
    """One argument of an action: whether it must be present and how to check it.

    ``check(where, value)`` raises ``Rejection`` naming ``where``. An optional argument
    is either absent or valid; null is not a way to leave it out.
    """

    required: bool
    check: Callable[[str, Any], None]


def check_fields(args: Any, spec: Mapping[str, Arg], where: str) -> None:
    """Check ``args`` against ``spec``: a JSON object with every required argument,
    nothing unexpected, each value valid. Raise ``Rejection`` on the first fault."""
    if not isinstance(args, dict):
        raise Rejection(f"{where}: args must be a JSON object")
    unexpected = sorted(args.keys() - spec.keys())
    if unexpected:
        raise Rejection(
            f"{where}: unexpected argument {unexpected[0]!r} (allowed: {', '.join(spec)})"
        )
    missing = [name for name, arg in spec.items() if arg.required and name not in args]
    if missing:
        raise Rejection(f"{where}: missing argument(s) {', '.join(missing)}")
    for name, arg in spec.items():
        if name in args:
            arg.check(f"{where}.{name}", args[name])


def check_list(where: str, value: Any, *, most: int, expected: str, many: str) -> list[Any]:
    """``value`` if it is a list of at most ``most`` elements; otherwise refuse it with
    "expected a list of ``expected``" or "at most ``most`` ``many``, got n"."""
    if not isinstance(value, list):
        raise Rejection(f"{where}: expected a list of {expected}")
    if len(value) > most:
        raise Rejection(f"{where}: at most {most} {many}, got {len(value)}")
    return value


def check_hex_digest(where: str, value: Any) -> None:
    """A SHA-256 digest: 64 lowercase hex characters."""
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected a string of 64 lowercase hex characters")
    if not _DIGEST_RE.fullmatch(value):
        raise Rejection(
            f"{where}: expected a SHA-256 digest as 64 lowercase hex characters, got {_show(value)}"
        )


def check_count(where: str, value: Any) -> None:
    """An integer (not a boolean) in 0..2^53-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejection(f"{where}: expected a whole number, got {_show(value)}")
    if not 0 <= value <= MAX_SAFE_INTEGER:
        raise Rejection(f"{where}: {value} is outside 0..2^53-1")


def text_checker(max_len: int) -> Callable[[str, Any], None]:
    """A checker of a non-empty string of at most ``max_len`` characters without control
    characters (Unicode category Cc: tabs and line breaks included)."""

    def check(where: str, value: Any) -> None:
        if not isinstance(value, str):
            raise Rejection(f"{where}: expected a string, got {_show(value)}")
        if not 1 <= len(value) <= max_len:
            raise Rejection(f"{where}: must be 1 to {max_len} characters, got {len(value)}")
        for i, char in enumerate(value):
            if unicodedata.category(char) == "Cc":
                raise Rejection(
                    f"{where}: control character U+{ord(char):04X} at position {i}; remove it"
                )

    return check


def _show(value: Any) -> str:
    """A short description of a refused value, for a rejection reason."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"{value[:40]!r}… ({len(value)} characters)"
    if isinstance(value, bool | int | float):
        return repr(value)
    return "a JSON object" if isinstance(value, dict) else f"a {type(value).__name__}"
