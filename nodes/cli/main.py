"""The ``provledger`` command: one Typer app assembling the sub-commands."""

from __future__ import annotations

import typer

from nodes.cli import (
    bench_cmd,
    consortium_cmd,
    evidence_cmd,
    genesis_cmd,
    keys_cmd,
    member_cmd,
    node_cmd,
    seeds_cmd,
    sim_cmd,
    trace_cmd,
)
from nodes.cli.anchor_cmd import anchor
from nodes.cli.audit_cmd import audit
from nodes.cli.demo_cmd import demo
from nodes.cli.receipt_cmd import receipt_cmd, verify_receipt_cmd
from nodes.cli.verify_cmd import verify

app = typer.Typer(
    name="provledger",
    help="A permissioned ledger for provenance: deposit evidence and traceability, "
    "verifiable offline with the consortium's public keys.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(genesis_cmd.app, name="genesis")
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(node_cmd.app, name="node")
app.add_typer(consortium_cmd.app, name="consortium")
app.add_typer(sim_cmd.app, name="sim")
app.command("anchor")(anchor)
app.command("verify")(verify)
app.command("audit")(audit)
app.command("receipt")(receipt_cmd)
app.command("verify-receipt")(verify_receipt_cmd)
app.command("verify-fact")(evidence_cmd.verify_fact_cmd)
app.add_typer(evidence_cmd.app, name="evidence")
app.add_typer(member_cmd.app, name="member")
app.add_typer(trace_cmd.app, name="trace")
app.add_typer(seeds_cmd.app, name="seeds")
app.command("demo")(demo)
