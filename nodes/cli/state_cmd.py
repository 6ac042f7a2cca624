"""``provledger state get`` and ``provledger verify-state``: fetch a value of contract
state with its proof from a live node, or check a state proof or a history offline
against trust.json; both say in plain words what is proven."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.markup import escape

from ledger.errors import StateProofError, StateProofFormatError
from ledger.history_proof import HISTORY_FORMAT, ProvenHistory, verify_history
from ledger.jsonfile import read_json
from ledger.state_proof import STATE_PROOF_FORMAT, ProvenState, ProvenValue, verify_state
from ledger.trust import Trust
from nodes.bootstrap import write_json
from nodes.cli.output import EXIT_FAILED, console, emit_json, fail, handle_errors
from nodes.cli.verdict import NOT_VERIFIED, VERIFIED, print_verdict
from nodes.client import ConsortiumClient
from nodes.consortium.layout import Layout

_SHORT_JSON = 80
_ABSENT = (": absent", "never anchored", "never commissioned")


state_app = typer.Typer(
    help="Contract state, proven: a value (or its absence) with its proof from a certified block.",
    no_args_is_help=True,
)


@state_app.command("get")
@handle_errors
def get_cmd(
    contract: Annotated[str, typer.Argument(help="The contract (evidence, traceability…).")],
    key: Annotated[str, typer.Argument(help="The state key, e.g. product/urn:epc:id:sgtin:…")],
    consortium: Annotated[Path, typer.Option(help="The consortium folder.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the proof to this file.")
    ] = None,
    height: Annotated[
        int | None, typer.Option(help="Prove at this block (default: the head).", min=1)
    ] = None,
) -> None:
    """Fetch CONTRACT/KEY with its state proof from a live node, verify the proof here
    against the consortium's trust.json, say what it proves, and write it to OUT.

    An absent key is proven absent. The node is not trusted: the proof is checked
    locally before anything is printed or written. Exit 0 proven; 1 the proof does not
    verify.
    """
    layout = Layout(consortium)
    path = f"/v1/state/{quote(contract, safe='')}/{quote(key, safe='')}"
    params: dict[str, Any] = {"proof": "true"}
    if height is not None:
        params["height"] = height
    with ConsortiumClient.of(layout) as client:
        doc = client.request("GET", path, params=params)["proof"]
    show_proven(doc, Trust.load(layout.trust), out)


def show_proven(doc: dict[str, Any], trust: Trust, out: Path | None) -> None:
    """Verify ``doc`` (a state proof or a history) against ``trust``, print what it
    proves, and write it to ``out`` if given; exit 1 if it does not verify."""
    try:
        state, lines = proven_lines(doc, trust)
    except StateProofError as exc:
        print_verdict(NOT_VERIFIED, "the node's proof", str(exc))
        raise typer.Exit(EXIT_FAILED) from exc
    if out is not None:
        write_json(out, doc)
    print_proven(f"(written to {out})" if out is not None else "", state, lines)


def proven_lines(
    doc: dict[str, Any], trust: Trust, min_height: int | None = None
) -> tuple[ProvenState, list[str]]:
    """Verify ``doc`` (a history, or else a state proof) against ``trust``: the proven
    state and one sentence per thing proven; ``StateProofError`` if it does not verify."""
    if doc.get("format") == HISTORY_FORMAT:
        history = verify_history(doc, trust, min_height=min_height)
        return history.state, [describe_history(history)]
    state = verify_state(doc, trust, min_height=min_height)
    return state, [describe_entry(e) for e in state.entries]


def print_proven(label: str, state: ProvenState, lines: list[str]) -> None:
    """The VERIFIED verdict with ``label``, then what is proven and as of which block
    (on one line when one thing is proven)."""
    console.print(f"[bold green]{VERIFIED}[/] {escape(label)}".rstrip(), highlight=False)
    when = as_of(state)
    if len(lines) == 1:
        sep = " " if lines[0].endswith(_ABSENT) else ", "
        console.print(f"  {escape(lines[0] + sep + when)}", highlight=False, soft_wrap=True)
        return
    for line in [*lines, when]:
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)


@handle_errors
def verify_state_cmd(
    file: Annotated[Path, typer.Argument(help="A state proof or history JSON file.")],
    trust: Annotated[Path, typer.Option(help="The consortium's trust.json.")] = Path("trust.json"),
    min_height: Annotated[
        int | None,
        typer.Option(help="Refuse a proof from a block older than this height.", min=1),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Verify a state proof or a history offline against trust.json, and say what it
    proves: each key's value (or that it is absent), as of which certified block.

    Accepts provledger-state-proof/v1 and provledger-history/v1 files. Needs nothing but
    the consortium's public keys. The first line is the verdict: VERIFIED, or NOT VERIFIED
    naming the check that failed. Exit 0 verified; 1 not verified; 2 the file is not
    readable as a state proof or history.
    """
    anchor = Trust.load(trust)
    doc = read_json(file, "state proof file")
    kind = doc.get("format") if isinstance(doc, dict) else None
    if kind not in (STATE_PROOF_FORMAT, HISTORY_FORMAT):
        shown = repr(kind)[:60] if isinstance(kind, str) else "none"
        fail(f"{file}: not a {STATE_PROOF_FORMAT} or {HISTORY_FORMAT} file (format {shown})")
    try:
        state, lines = proven_lines(doc, anchor, min_height)
    except StateProofFormatError as exc:
        fail(f"{file}: {exc}")
    except StateProofError as exc:
        if as_json:
            emit_json({"verdict": NOT_VERIFIED, "verified": False, "reason": str(exc)})
        else:
            print_verdict(NOT_VERIFIED, str(file), str(exc))
        raise typer.Exit(EXIT_FAILED) from exc
    if as_json:
        emit_json({"verdict": VERIFIED, "verified": True, **summary(state), "proves": lines})
        return
    print_proven(str(file), state, lines)


def as_of(state: ProvenState) -> str:
    """``as of height H (time), certified by A, B``."""
    return (
        f"as of height {state.height} ({state.time}), certified by "
        f"{', '.join(sorted(state.certificate_signers))}"
    )


def summary(state: ProvenState) -> dict[str, Any]:
    """What a verified proof proves, JSON-safe."""
    return {
        "chain_id": state.chain_id,
        "height": state.height,
        "block_hash": state.block_hash,
        "time": state.time,
        "state_root": state.state_root,
        "entries": [
            {"contract": e.contract, "key": e.key, "value": e.value} for e in state.entries
        ],
        "certificate_signers": list(state.certificate_signers),
        "checkpoint_signers": list(state.checkpoint_signers),
    }


def describe_history(history: ProvenHistory) -> str:
    """One sentence for a verified history."""
    record = history.record
    if history.kind == "product":
        if record is None:
            return f"{history.subject}: never commissioned"
        return _product(record, len(history.events))
    if record is None:
        return f"{history.subject}: never anchored"
    return _document(record)


def describe_entry(entry: ProvenValue) -> str:
    """One line for a verified entry of a state proof."""
    value, name = entry.value, f"{entry.contract}/{entry.key}"
    if isinstance(value, dict):
        if entry.contract == "traceability" and entry.key.startswith("product/"):
            return _product(value, value.get("events"))
        if entry.contract == "evidence" and entry.key.startswith("doc/"):
            return _document(value)
    if value is None:
        if entry.contract == "evidence" and entry.key.startswith("doc/"):
            return f"{entry.key.removeprefix('doc/')}: never anchored"
        return f"{name}: absent"
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) > _SHORT_JSON:
        text = text[: _SHORT_JSON - 1] + "…"
    return f"{name} = {text}"


def _product(record: dict[str, Any], events: Any) -> str:
    count = f"{events} event" + ("" if events == 1 else "s")
    return (
        f"{record.get('id')}: {record.get('status')}, held by {record.get('custodian')}, "
        f"owned by {record.get('owner')}, {count}"
    )


def _document(record: dict[str, Any]) -> str:
    n = record.get("redeposits")
    again = "no re-deposits" if not n else f"{n} re-deposit" + ("" if n == 1 else "s")
    facts = "facts published" if record.get("facts_published") else "facts not published"
    return (
        f"doc {record.get('sha256')}: first deposited by {record.get('depositor')} at height "
        f"{record.get('height')}, {again}, {facts}"
    )
