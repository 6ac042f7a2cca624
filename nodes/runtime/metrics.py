"""Prometheus metrics of one node, in a registry of its own.

Promise: every node has its own ``CollectorRegistry`` (never the process-global one, so
several nodes can live in one process), holding the node's counters and commit-latency
histogram, the gauges its ``gauges`` callable reads from its state at each scrape, and
the standard process, platform and garbage-collector collectors. ``exposition()`` is
the text a Prometheus server scrapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST

Gauges = Callable[[], dict[str, tuple[str, float]]]
"""Reads the node's state: metric name to (help, current value)."""


class _StateGauges(Collector):
    """Gauges read from the node at each scrape."""

    def __init__(self, gauges: Gauges) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, (help_text, value) in self._gauges().items():
            yield GaugeMetricFamily(name, help_text, value=float(value))


class Metrics:
    """What a node counts; each attribute is a ``prometheus_client`` metric
    (``metrics.committed_transactions.inc(n)``, ``metrics.commit_latency.observe(s)``)."""

    def __init__(self, gauges: Gauges | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.committed_transactions = Counter(
            "provledger_committed_transactions",
            "Transactions in blocks this node stored.",
            registry=r,
        )
        self.committed_blocks = Counter(
            "provledger_committed_blocks", "Blocks this node stored.", registry=r
        )
        self.refused_transactions = Counter(
            "provledger_refused_transactions", "Transactions refused at admission.", registry=r
        )
        self.synced_blocks = Counter(
            "provledger_synced_blocks", "Blocks stored by catch-up from peers.", registry=r
        )
        self.refused_sync_blocks = Counter(
            "provledger_refused_sync_blocks",
            "Blocks served by peers that failed verification.",
            registry=r,
        )
        self.dropped_messages = Counter(
            "provledger_dropped_messages",
            "Consensus messages dropped because the event queue was full.",
            registry=r,
        )
        self.evidence = Counter(
            "provledger_evidence",
            "Equivocations caught (two conflicting signed votes).",
            registry=r,
        )
        self.divergences = Counter(
            "provledger_divergences",
            "Proposals refused because their state or results root differs from this "
            "node's execution of them.",
            registry=r,
        )
        self.corrupt_rows = Counter(
            "provledger_corrupt_rows",
            "Reads that found a stored row damaged (never served); run `provledger audit`.",
            registry=r,
        )
        self.commit_latency = Histogram(
            "provledger_commit_latency_seconds",
            "Seconds from admission to commit of this node's clients' txs.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        if gauges is not None:
            r.register(_StateGauges(gauges))

    def exposition(self) -> bytes:
        """The text exposition of every metric of this node (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """The current value of sample ``name`` (e.g. ``provledger_evidence_total``);
        0 when it has none."""
        found = self.registry.get_sample_value(name, labels or {})
        return 0.0 if found is None else found
