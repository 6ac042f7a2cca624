"""The values simulated validators propose: small blocks with a deterministic id.

Promises:
- ``make_value(height, round, proposer, variant)`` always gives the same block and id;
  a correct proposer uses ``variant=0``, so a restarted proposer proposes what it
  proposed before.
- ``is_valid(proposal)`` holds exactly when the block is marked valid, is for the
  proposal's height and its id is the proposal's ``value_id`` (``is_valid_value`` is the
  same test for a decided value received in catch-up).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from nodes.consensus.proposal import Proposal


@dataclass(frozen=True)
class Block:
    """A simulated block: who proposed it where, and whether it may be decided."""

    height: int
    round: int
    proposer: int
    variant: int = 0
    valid: bool = True


def value_id(block: Block) -> str:
    """The block's id: hex SHA-256 of its fields."""
    text = f"{block.height}/{block.round}/{block.proposer}/{block.variant}/{int(block.valid)}"
    return hashlib.sha256(text.encode()).hexdigest()


def make_value(
    height: int, round: int, proposer: int, variant: int = 0, valid: bool = True
) -> tuple[Block, str]:
    """A block and its id."""
    block = Block(height, round, proposer, variant, valid)
    return block, value_id(block)


def is_valid_value(value: object, height: int, id: str) -> bool:
    """Whether ``value``, claimed to have id ``id``, may be decided at ``height``."""
    return (
        isinstance(value, Block)
        and value.valid
        and value.height == height
        and value_id(value) == id
    )


def is_valid(proposal: Proposal) -> bool:
    """Whether ``proposal``'s value may be decided at its height."""
    return is_valid_value(proposal.value, proposal.height, proposal.value_id)
