"""The arguments of ``membership.propose`` and ``membership.approve``, checked without
state: names, roles from ``KNOWN_ROLES``, usable Ed25519 public keys."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.base import Arg, Rejection, check_fields, check_hex_digest, text_checker
from ledger.errors import LedgerError
from ledger.keys import public_key_from_hex
from ledger.model.fields import check_name

KNOWN_ROLES = frozenset({"producer", "processor", "carrier", "retailer", "regulator", "notary"})
MAX_KEYS = 16


def _check_org(where: str, value: Any) -> None:
    if not isinstance(value, str):
        raise Rejection(f"{where}: expected an organisation name")
    try:
        check_name(value, where)
    except LedgerError as exc:
        raise Rejection(str(exc)) from exc


def _check_roles(where: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise Rejection(f"{where}: expected a list of role names")
    unknown = sorted(set(value) - KNOWN_ROLES)
    if unknown:
        raise Rejection(
            f"{where}: unknown role {unknown[0]!r} (known: {', '.join(sorted(KNOWN_ROLES))})"
        )
    if len(set(value)) != len(value):
        raise Rejection(f"{where}: a role is listed twice")


def _check_keys(where: str, value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_KEYS:
        raise Rejection(f"{where}: expected a list of at most {MAX_KEYS} hex public keys")
    for i, text in enumerate(value):
        if not isinstance(text, str):
            raise Rejection(f"{where}[{i}]: expected a hex Ed25519 public key")
        try:
            public_key_from_hex(text, f"{where}[{i}]")
        except LedgerError as exc:
            raise Rejection(str(exc)) from exc
        if text != text.lower():
            raise Rejection(f"{where}[{i}]: write the key in lowercase hex")
    if len(set(value)) != len(value):
        raise Rejection(f"{where}: a key is listed twice")


PROPOSE_ARGS: Mapping[str, Arg] = MappingProxyType(
    {
        "organisation": Arg(True, _check_org),
        "roles": Arg(True, _check_roles),
        "keys": Arg(True, _check_keys),
        "reason": Arg(False, text_checker(512)),
    }
)
APPROVE_ARGS: Mapping[str, Arg] = MappingProxyType({"proposal": Arg(True, check_hex_digest)})


def check_propose_args(args: Any, where: str) -> None:
    """Check propose ``args``: a removal has no roles and no keys; anything else needs
    both."""
    check_fields(args, PROPOSE_ARGS, where)
    if bool(args["roles"]) != bool(args["keys"]):
        raise Rejection(
            f"{where}: give roles and keys to admit or change an organisation, "
            "or neither to remove it"
        )


def check_approve_args(args: Any, where: str) -> None:
    """Check approve ``args``."""
    check_fields(args, APPROVE_ARGS, where)
