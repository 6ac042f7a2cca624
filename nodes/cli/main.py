"""The ``provledger`` command: one Typer app assembling the sub-commands.

Each command's module is imported only when that command runs (``nodes.cli.lazy``), so
``provledger --help`` and the light commands never pay for the server, the database,
the simulator or the benchmarks. ``ENTRIES`` lists every command with its one-line help;
a test checks that each line is the first sentence of the command's own help.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nodes.cli.lazy import Entry, LazyGroup

ENTRIES = (
    Entry(
        "anchor",
        "nodes.cli.anchor_cmd",
        "anchor",
        "Anchor each FILE: SHA-256, size, title, media type, paragraph hashes and, for text, "
        "the Merkle root of its extracted facts; then publish those facts.",
    ),
    Entry(
        "verify",
        "nodes.cli.verify_cmd",
        "verify",
        "Verify FILE: who deposited it, when (consensus time), at which height, which "
        "validators signed, and what the anchor did (its committed result: the first anchor "
        "of this digest, or a re-deposit), checked locally against trust.json.",
    ),
    Entry(
        "audit",
        "nodes.cli.audit_cmd",
        "audit",
        "Re-verify a store from genesis; name the first fault exactly.",
    ),
    Entry(
        "receipt",
        "nodes.cli.receipt_cmd",
        "receipt_cmd",
        "Fetch the receipt of FILE's anchor, check it locally, and write it to OUT.",
    ),
    Entry(
        "verify-receipt",
        "nodes.cli.receipt_cmd",
        "verify_receipt_cmd",
        "Verify a receipt offline against trust.json, and that FILE (if given) is exactly "
        "the document it anchors; for a changed copy, name the paragraphs that differ.",
    ),
    Entry(
        "verify-fact",
        "nodes.cli.evidence_cmd",
        "verify_fact_cmd",
        "Prove offline that one fact belongs to an anchored document, without the document: "
        "the fact's Merkle proof leads to the facts root that the anchor's receipt proves.",
    ),
    Entry(
        "state",
        "nodes.cli.state_cmd",
        "state_app",
        "Contract state, proven: a value (or its absence) with its proof from a certified block.",
    ),
    Entry(
        "verify-state",
        "nodes.cli.state_cmd",
        "verify_state_cmd",
        "Verify a state proof or a history offline against trust.json, and say what it "
        "proves: each key's value (or that it is absent), as of which certified block.",
    ),
    Entry(
        "demo",
        "nodes.cli.demo_cmd",
        "demo",
        "Run a local three-node consortium and tell its story: anchor the five seed "
        "documents with their facts, verify one offline, find the paragraph a tampered copy "
        "changed, prove a fact without its document, admit organisations by vote, run the "
        "oil and food traceability flows (with a recall, proven offline) and export them, "
        "kill a node and keep going, audit every node, stop them all.",
    ),
    Entry(
        "keys",
        "nodes.cli.keys_cmd",
        "app",
        "Create and inspect Ed25519 key files (PEM, mode 0600).",
    ),
    Entry("genesis", "nodes.cli.genesis_cmd", "app", "Create the root of trust of a chain."),
    Entry(
        "bench",
        "nodes.cli.bench_cmd",
        "app",
        "Benchmarks; each prints its figures beside the machine's limits.",
    ),
    Entry("node", "nodes.cli.node_cmd", "app", "Run one validator node."),
    Entry(
        "consortium",
        "nodes.cli.consortium_cmd",
        "app",
        "Run a local consortium of validator nodes.",
    ),
    Entry(
        "sim",
        "nodes.cli.sim_cmd",
        "app",
        "The deterministic consensus simulator: seeded faults, checked invariants.",
    ),
    Entry(
        "evidence",
        "nodes.cli.evidence_cmd",
        "app",
        "Query anchored documents: by digest, by depositor, their facts and fact proofs.",
    ),
    Entry(
        "blocks",
        "nodes.cli.chain_cmd",
        "blocks",
        "The latest blocks, or the block at HEIGHT: time, proposer, transactions, hash and "
        "signers.",
    ),
    Entry(
        "tx",
        "nodes.cli.chain_cmd",
        "tx_cmd",
        "A transaction: its call (contract, action, sender organisation), where it stands "
        "(height, log index) and its outcome.",
    ),
    Entry(
        "member",
        "nodes.cli.member_cmd",
        "app",
        "Organisations and roles: list the roster and the open proposals; propose and "
        "approve changes.",
    ),
    Entry(
        "trace",
        "nodes.cli.trace_cmd",
        "app",
        "Traceability: commission, pack, ship, receive, transform, sell, inspect and recall "
        "product batches (GS1 EPCIS 2.0 events), and read their histories and graphs.",
    ),
    Entry(
        "seeds",
        "nodes.cli.seeds_cmd",
        "app",
        "The seed corpus: its manifest (checked byte for byte) and the facts extracted from "
        "it or from any UTF-8 text.",
    ),
)


class ProvledgerGroup(LazyGroup):
    """The root group of ``provledger``: the commands of ``ENTRIES``."""

    entries = ENTRIES


app = typer.Typer(
    name="provledger",
    cls=ProvledgerGroup,
    help="A permissioned ledger for provenance: deposit evidence and traceability, "
    "verifiable offline with the consortium's public keys.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from nodes.cli.version import version_text

        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and the formats it speaks (receipt, proofs, checkpoint, "
            "facts extractor), then exit.",
        ),
    ] = False,
) -> None:
    """A permissioned ledger for provenance: deposit evidence and traceability,
    verifiable offline with the consortium's public keys."""
