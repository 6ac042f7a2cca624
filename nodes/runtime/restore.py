"""What a restarted validator reads back before consensus resumes.

Promise: ``kept_locks`` returns the proposal this validator had precommitted, as kept
by ``VoteLog.record_lock``, only if it is for ``height``, for this chain, and signed by
its proposer, a validator; anything else (unreadable, another chain, a forged or stale
proposal) is ignored with a warning.
"""

from __future__ import annotations

import json
import logging

from ledger.errors import LedgerError
from ledger.quorum import ValidatorSet
from nodes.consensus.messages import SignedProposal
from nodes.peer.wire import ProposalMessage, decode, verify_proposal
from nodes.vote_log import VoteLog

log = logging.getLogger("provledger.node")


def kept_locks(
    vote_log: VoteLog, validators: ValidatorSet, chain_id: str, height: int
) -> list[SignedProposal]:
    """The kept lock proposal at ``height``, if any and sound."""
    raw = vote_log.load_lock()
    if raw is None:
        return []
    try:
        message = decode(json.loads(raw))
    except (ValueError, LedgerError, RecursionError) as exc:
        log.warning("kept lock proposal unreadable, ignored: %s", exc)
        return []
    if not isinstance(message, ProposalMessage) or message.proposal.height != height:
        return []
    try:
        if message.proposal.value.header.chain_id != chain_id:
            raise LedgerError("it is for another chain")
        verify_proposal(validators, chain_id, message)
    except LedgerError as exc:
        log.warning("kept lock proposal ignored: %s", exc)
        return []
    return [SignedProposal(message.proposal, message.signature)]
