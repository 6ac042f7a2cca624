"""An equivocating validator: it follows the protocol's timing with its own ``Driver``
but tells different peers different things.

Promises:
- Every vote it sends is signed for real with its Ed25519 key (``Vote.signed``), so any
  two conflicting ones make an ``Equivocation`` that verifies against the validator set.
- Per (height, round) it splits its peers into two non-empty groups (when it has two
  peers or more). As proposer it sends its proposal to one group and a different one
  (invalid in 30% of rounds) to the other; for 80% of its votes it sends the vote its
  machine cast to one group and a conflicting vote (for the other proposal, for nil, or
  for a value when the honest vote is nil) to the other, and for 15% of those it also
  sends the second version to one peer of the first group.
- It re-sends each peer what that peer was first told, relays nothing and answers no
  catch-up request. It never crashes; the invariants ignore its decisions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ledger.keys import SigningKey
from ledger.model.vote import Vote, VoteType
from nodes.consensus.proposal import Proposal
from nodes.simulator.messages import SyncRequest
from nodes.simulator.node import Context, Node, show
from nodes.simulator.values import make_value

EQUIVOCATE = 0.8
"""The share of its votes it equivocates on."""
DOUBLE = 0.15
"""The share of equivocations it also sends both ways to one peer."""
INVALID = 0.3
"""The share of its second proposals whose value is invalid."""


class Equivocator(Node):
    """Validator ``index``, Byzantine."""

    def __init__(self, index: int, ctx: Context, key: SigningKey, rng: random.Random) -> None:
        super().__init__(index, ctx)
        self.key = key
        self.rng = rng
        self._split: dict[tuple[int, int], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._alt: dict[tuple[int, int], tuple[str, str]] = {}
        self._seen: dict[tuple[int, int], str] = {}
        self._told: dict[tuple[object, ...], Proposal | Vote] = {}

    def sign(self, height: int, round: int, type: VoteType, block_hash: str | None) -> Vote:
        """A really signed vote."""
        return Vote.signed(self.key, self.ctx.ids.chain_id, height, round, type, block_hash)

    def receive(self, src: int, msg: object) -> None:
        """Note which value was proposed where, then behave as the machine says."""
        if isinstance(msg, Proposal):
            self._seen.setdefault((msg.height, msg.round), msg.value_id)
        super().receive(src, msg)

    def send_proposal(self, proposal: Proposal) -> None:
        """Send ``proposal`` to one group and another proposal to the other."""
        h, r = proposal.height, proposal.round
        valid = self.rng.random() >= INVALID
        value, vid = make_value(h, r, self.index, variant=1, valid=valid)
        other = Proposal(h, r, vid, -1, self.me, value)
        self._alt[(h, r)] = (proposal.value_id, vid)
        self.proposed(other)
        first, second = self._groups(h, r)
        self._tell(first, ("proposal", h, r), proposal)
        self._tell(second, ("proposal", h, r), other)
        self._note_split(other, second)

    def send_vote(self, vote: Vote) -> None:
        """Send ``vote`` to one group and a conflicting vote to the other."""
        h, r = vote.height, vote.round
        key = ("vote", h, r, vote.type)
        if self.rng.random() >= EQUIVOCATE:
            self._tell(self.peers, key, vote)
            return
        other = self.sign(h, r, vote.type, self._conflicting(vote))
        self.ctx.log.votes_sent[self.index].append(other)
        first, second = self._groups(h, r)
        self._tell(first, key, vote)
        self._tell(second, key, other)
        self._note_split(other, second)
        if first and second and self.rng.random() < DOUBLE:
            self.ctx.net.send(self.index, self.rng.choice(first), other)

    def resend(self, messages: Sequence[Proposal | Vote]) -> None:
        """Re-send each peer what it was first told of our own messages; relay nothing."""
        net = self.ctx.net
        for msg in messages:
            if isinstance(msg, Vote):
                if msg.validator != self.me:
                    continue
                key: tuple[object, ...] = ("vote", msg.height, msg.round, msg.type)
            else:
                if msg.proposer != self.me:
                    continue
                key = ("proposal", msg.height, msg.round)
            for j in self.peers:
                net.send(self.index, j, self._told.get((j, *key), msg))

    def serve(self, src: int, request: SyncRequest) -> None:
        """Answer no catch-up request."""

    def _note_split(self, other: Proposal | Vote, peers: Sequence[int]) -> None:
        if self.ctx.log.trace is not None:
            self._trace(f"-> instead to {list(peers)}: {show(other, self.ctx.index_of)}")

    def _tell(self, peers: Sequence[int], key: tuple[object, ...], msg: Proposal | Vote) -> None:
        net = self.ctx.net
        for j in peers:
            self._told.setdefault((j, *key), msg)
            net.send(self.index, j, msg)

    def _groups(self, h: int, r: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        groups = self._split.get((h, r))
        if groups is None:
            peers = list(self.peers)
            self.rng.shuffle(peers)
            cut = self.rng.randint(1, len(peers) - 1) if len(peers) > 1 else len(peers)
            groups = (tuple(peers[:cut]), tuple(peers[cut:]))
            self._split[(h, r)] = groups
        return groups

    def _conflicting(self, vote: Vote) -> str | None:
        h, r = vote.height, vote.round
        pair = self._alt.get((h, r))
        if pair is not None:
            return pair[1] if vote.block_hash != pair[1] else pair[0]
        if vote.block_hash is not None:
            return None
        seen = self._seen.get((h, r))
        return seen if seen is not None else make_value(h, r, self.index, variant=2)[1]
