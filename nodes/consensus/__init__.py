"""Tendermint consensus as a pure state machine (sans-IO).

``Machine`` takes events (a proposal or vote received, a timeout fired, a value ready,
transactions available, a block synced) and returns actions (broadcast a proposal,
persist and broadcast a vote, schedule a timeout, ask for a value, decide). The node
runtime (``nodes.runtime``) performs the I/O; the deterministic simulator in the tests
runs the very same machine over a virtual network.
"""

from nodes.consensus.actions import (
    Action,
    BroadcastProposal,
    CastVote,
    CheckProposal,
    Decide,
    GetValue,
    ReportEvidence,
    ScheduleTimeout,
)
from nodes.consensus.machine import Machine, Params, Signer, Step
from nodes.consensus.proposal import Proposal

__all__ = [
    "Action",
    "BroadcastProposal",
    "CastVote",
    "CheckProposal",
    "Decide",
    "GetValue",
    "Machine",
    "Params",
    "Proposal",
    "ReportEvidence",
    "ScheduleTimeout",
    "Signer",
    "Step",
]
