"""A validator node's ``Signing``: its Ed25519 node key signs votes and proposals, and a
precommit for a block carries its signer's C2SP cosignature of that block's checkpoint.

Promise: ``endorsed`` accepts a precommit only with its signer's valid cosignature of the
block's checkpoint, so every decided block gets a checkpoint cosigned by a quorum.
"""

from __future__ import annotations

import logging

from ledger.checkpoint import checkpoint_of_header, cosign, verify_cosignature
from ledger.errors import LedgerError
from ledger.keys import SigningKey
from ledger.model.block import Block
from ledger.model.vote import Vote, VoteType
from ledger.quorum import ValidatorSet
from nodes.consensus.proposal import Proposal
from nodes.peer.wire import sign_proposal

log = logging.getLogger("provledger.node")


class NodeKeys:
    """The signatures of validator ``name`` (``key``) on chain ``chain_id``."""

    def __init__(self, key: SigningKey, name: str, chain_id: str, validators: ValidatorSet) -> None:
        self._key, self._name = key, name
        self._chain_id, self._validators = chain_id, validators

    def vote(self, height: int, round: int, type: VoteType, value_id: str | None) -> Vote:
        """Our signed vote."""
        return Vote.signed(self._key, self._chain_id, height, round, type, value_id)

    def proposal(self, proposal: Proposal) -> bytes:
        """Our signature over our proposal (any node may then relay it)."""
        return sign_proposal(self._key, self._chain_id, proposal)

    def endorse(self, vote: Vote, value: Block) -> str:
        """Our cosignature of the checkpoint of the block we precommit."""
        return cosign(checkpoint_of_header(value.header), self._name, self._key)

    def endorsed(self, vote: Vote, attachment: str | None, value: Block) -> bool:
        """Whether ``attachment`` is the precommit signer's valid cosignature of the
        checkpoint of ``value``."""
        name = self._validators.names.get(vote.validator, vote.validator[:16])
        try:
            if attachment is None:
                raise LedgerError("precommit without a checkpoint cosignature")
            verify_cosignature(
                checkpoint_of_header(value.header),
                attachment,
                name,
                self._validators.keys[vote.validator],
            )
        except (LedgerError, KeyError) as exc:
            log.warning("precommit of %s for h=%d ignored: %s", name, vote.height, exc)
            return False
        return True
