"""Prometheus metrics of a node, rendered in the text exposition format (0.0.4)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)


@dataclass
class Histogram:
    """Cumulative buckets, sum and count of observed seconds."""

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        """Record one observation."""
        self.counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.total += seconds
        self.count += 1

    def lines(self, name: str) -> list[str]:
        """Exposition lines of this histogram."""
        out, running = [], 0
        for bound, n in zip(self.buckets, self.counts, strict=False):
            running += n
            out.append(f'{name}_bucket{{le="{bound}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        out.append(f"{name}_sum {self.total:.6f}")
        out.append(f"{name}_count {self.count}")
        return out


@dataclass
class Metrics:
    """What a node counts."""

    committed_transactions: int = 0
    committed_blocks: int = 0
    refused_transactions: int = 0
    synced_blocks: int = 0
    refused_sync_blocks: int = 0
    evidence: int = 0
    dropped_messages: int = 0
    commit_latency: Histogram = field(default_factory=Histogram)

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The exposition text; ``gauges`` maps name to (help, value)."""
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, value: float) -> None:
            lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"])

        for name, (help_text, value) in gauges.items():
            metric(name, "gauge", help_text, value)
        counters = {
            "provledger_committed_transactions_total": (
                "Transactions in blocks this node stored.",
                self.committed_transactions,
            ),
            "provledger_committed_blocks_total": (
                "Blocks this node stored.",
                self.committed_blocks,
            ),
            "provledger_refused_transactions_total": (
                "Transactions refused at admission.",
                self.refused_transactions,
            ),
            "provledger_synced_blocks_total": (
                "Blocks stored by catch-up from peers.",
                self.synced_blocks,
            ),
            "provledger_refused_sync_blocks_total": (
                "Blocks served by peers that failed verification.",
                self.refused_sync_blocks,
            ),
            "provledger_dropped_messages_total": (
                "Consensus messages dropped because the event queue was full.",
                self.dropped_messages,
            ),
            "provledger_evidence_total": (
                "Equivocations caught (two conflicting signed votes).",
                self.evidence,
            ),
        }
        for name, (help_text, value) in counters.items():
            metric(name, "counter", help_text, value)
        name = "provledger_commit_latency_seconds"
        lines.append(f"# HELP {name} Seconds from admission to commit of this node's clients' txs.")
        lines.append(f"# TYPE {name} histogram")
        lines.extend(self.commit_latency.lines(name))
        return "\n".join(lines) + "\n"
