"""Deterministic state machines that give transactions meaning.

``base`` defines the interface (``Contract``, ``TxContext``, ``StateView``,
``Rejection``); ``registry`` admits calls and applies blocks; each other module is one
contract. Contracts import ``ledger`` only.
"""

from contracts.base import Contract, NotPermitted, Rejection, StateView, TxContext
from contracts.evidence import Evidence, lookup_digest, lookup_redeposit
from contracts.registry import BlockEffects, Registry, default_registry, rejected_key
from contracts.traceability import Traceability

__all__ = [
    "BlockEffects",
    "Contract",
    "Evidence",
    "NotPermitted",
    "Registry",
    "Rejection",
    "StateView",
    "Traceability",
    "TxContext",
    "default_registry",
    "lookup_digest",
    "lookup_redeposit",
    "rejected_key",
]
