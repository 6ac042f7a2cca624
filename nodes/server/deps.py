"""What the routes need from the node, as typed FastAPI dependencies.

The application holds the node in ``app.state.node``; a route names what it uses (the
store, the submitter, the consensus view...) with one of the ``...Dep`` aliases below,
never the node itself. ``NodeApi`` is everything the server needs from a node, so no
module of ``nodes.server`` imports the node runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from prometheus_client import Counter

from contracts.membership import Roster
from ledger.model.evidence import Equivocation
from ledger.model.genesis import Genesis
from ledger.quorum import ValidatorSet
from ledger.store.store import Store
from nodes.config import Limits, NodeConfig
from nodes.consensus.view import ConsensusView
from nodes.divergence import Divergence
from nodes.mempool import Mempool, Refused
from nodes.peer.wire import Committed, ProposalMessage, VoteMessage


class PeerStatus(Protocol):
    """What the node knows of one peer."""

    @property
    def name(self) -> str: ...
    @property
    def up(self) -> bool: ...
    @property
    def height(self) -> int: ...


class Metrics(Protocol):
    """The node's metrics, as Prometheus text; ``corrupt_rows`` counts damaged rows."""

    @property
    def corrupt_rows(self) -> Counter: ...
    def exposition(self) -> bytes: ...


class Submitter(Protocol):
    """Admits decoded transactions; per item its tx id or why it was refused."""

    async def __call__(
        self, items: Sequence[Any], *, relay: bool = True
    ) -> list[str | Refused]: ...


class TxTracker(Protocol):
    """Where a transaction stands (``NotFoundError`` if never seen)."""

    def status(self, tx_id: str) -> dict[str, Any]: ...
    async def wait_committed(self, tx_id: str, timeout: float) -> dict[str, Any]: ...


class Receiver(Protocol):
    """Takes one authenticated consensus message from a validator (key id)."""

    def __call__(self, message: ProposalMessage | VoteMessage | Committed, sender: str) -> None: ...


class NodeApi(TxTracker, Protocol):
    """What the HTTP server needs from a validator node."""

    @property
    def name(self) -> str: ...
    @property
    def chain_id(self) -> str: ...
    @property
    def genesis(self) -> Genesis: ...
    @property
    def validators(self) -> ValidatorSet: ...
    @property
    def config(self) -> NodeConfig: ...
    @property
    def store(self) -> Store: ...
    @property
    def mempool(self) -> Mempool: ...
    @property
    def peers(self) -> Sequence[PeerStatus]: ...
    @property
    def evidence(self) -> Sequence[Equivocation]: ...
    @property
    def divergences(self) -> Sequence[Divergence]: ...
    @property
    def metrics(self) -> Metrics: ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def submit(self, items: Sequence[Any], *, relay: bool = True) -> list[str | Refused]: ...
    def receive(self, message: ProposalMessage | VoteMessage | Committed, sender: str) -> None: ...
    def roster(self) -> Roster: ...
    def gauges(self) -> dict[str, tuple[str, float]]: ...
    def consensus_view(self) -> ConsensusView: ...


async def node_of(request: Request) -> NodeApi:
    """The node the application serves."""
    node: NodeApi = request.app.state.node
    return node


NodeDep = Annotated[NodeApi, Depends(node_of)]


async def _store(node: NodeDep) -> Store:
    return node.store


async def _mempool(node: NodeDep) -> Mempool:
    return node.mempool


async def _submitter(node: NodeDep) -> Submitter:
    return node.submit


async def _tracker(node: NodeDep) -> TxTracker:
    return node


async def _receiver(node: NodeDep) -> Receiver:
    return node.receive


async def _consensus(node: NodeDep) -> ConsensusView:
    return node.consensus_view()


async def _peers(node: NodeDep) -> Sequence[PeerStatus]:
    return node.peers


async def _limits(node: NodeDep) -> Limits:
    return node.config.limits


async def _validators(node: NodeDep) -> ValidatorSet:
    return node.validators


async def _chain_id(node: NodeDep) -> str:
    return node.chain_id


async def _name(node: NodeDep) -> str:
    return node.name


async def _metrics(node: NodeDep) -> Metrics:
    return node.metrics


async def _genesis(node: NodeDep) -> Genesis:
    return node.genesis


def _roster(node: NodeDep) -> Roster:
    return node.roster()  # reads the store: runs in the request thread pool


async def _evidence(node: NodeDep) -> Sequence[Equivocation]:
    return node.evidence


async def _divergences(node: NodeDep) -> Sequence[Divergence]:
    return node.divergences


StoreDep = Annotated[Store, Depends(_store)]
MempoolDep = Annotated[Mempool, Depends(_mempool)]
SubmitterDep = Annotated[Submitter, Depends(_submitter)]
TxTrackerDep = Annotated[TxTracker, Depends(_tracker)]
ReceiverDep = Annotated[Receiver, Depends(_receiver)]
ConsensusDep = Annotated[ConsensusView, Depends(_consensus)]
PeersDep = Annotated[Sequence[PeerStatus], Depends(_peers)]
LimitsDep = Annotated[Limits, Depends(_limits)]
ValidatorsDep = Annotated[ValidatorSet, Depends(_validators)]
ChainIdDep = Annotated[str, Depends(_chain_id)]
NameDep = Annotated[str, Depends(_name)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
GenesisDep = Annotated[Genesis, Depends(_genesis)]
RosterDep = Annotated[Roster, Depends(_roster)]
EvidenceDep = Annotated[Sequence[Equivocation], Depends(_evidence)]
DivergencesDep = Annotated[Sequence[Divergence], Depends(_divergences)]
