"""Tendermint consensus, sans-IO.

``Machine`` is Algorithm 1 as a pure state machine over one validator's view.
``Driver`` wraps it with every rule a runtime needs around it (judged proposals,
parked precommits, the lock to persist, re-sends and relays, when to start a height,
restore after a restart): it takes typed events (``events``) and returns one ``Ready``
record (``ready``) of what to persist, send, store, schedule and judge. The node
runtime (``nodes.runtime``) performs the I/O; the deterministic simulator
(``nodes.simulator``) drives the very same ``Driver`` over a virtual network.
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
from nodes.consensus.driver import Driver
from nodes.consensus.machine import Machine, Params, Signer, Step
from nodes.consensus.messages import SignedProposal, SignedVote
from nodes.consensus.proposal import Proposal
from nodes.consensus.ready import Decision, Ready

__all__ = [
    "Action",
    "BroadcastProposal",
    "CastVote",
    "CheckProposal",
    "Decide",
    "Decision",
    "Driver",
    "GetValue",
    "Machine",
    "Params",
    "Proposal",
    "Ready",
    "ReportEvidence",
    "ScheduleTimeout",
    "SignedProposal",
    "SignedVote",
    "Signer",
    "Step",
]
