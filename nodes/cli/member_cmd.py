"""``provledger member ...``: the roster, and changing it by proposals that a quorum of
organisations approves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from contracts.membership.args import KNOWN_ROLES
from ledger.errors import LedgerError, ValidationError
from ledger.keys import SigningKey, read_key_file, write_key_file
from ledger.model.transaction import Transaction
from ledger.trust import Trust
from nodes.bootstrap import key_paths, load_genesis, write_json
from nodes.cli.ids import resolve_id
from nodes.cli.output import EXIT_FAILED, console, emit_json, err_console, handle_errors
from nodes.client import ApiProblem, ConsortiumClient
from nodes.consortium.layout import Layout
from nodes.member import member_key

app = typer.Typer(
    help="Organisations and roles: list the roster and the open proposals; propose and "
    "approve changes.",
    no_args_is_help=True,
)
Consortium = Annotated[Path, typer.Option(help="The consortium folder.")]
AsOrg = Annotated[str | None, typer.Option("--as", help="Organisation to act as.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the commit.")]


def fetch_trust(client: ConsortiumClient, layout: Layout) -> Trust:
    """The node's trust.json with today's roster, checked to keep this folder's genesis:
    same chain id and validators (only the organisations may differ)."""
    trust = Trust.from_dict(client.request("GET", "/v1/trust"))
    mine = Trust.from_genesis(load_genesis(layout.genesis))
    if (trust.chain_id, trust.validators.keys) != (mine.chain_id, mine.validators.keys):
        raise ValidationError(
            f"{client.url} serves the trust of another chain or validator set; not written"
        )
    return trust


def refresh_trust(client: ConsortiumClient, layout: Layout) -> Trust:
    """Write DIR/trust.json with the roster as of the head; the trust it holds."""
    trust = fetch_trust(client, layout)
    write_json(layout.trust, trust.to_dict())
    return trust


def submit_call(
    layout: Layout, org: str | None, action: str, args: dict[str, Any], timeout: float
) -> tuple[str, str, dict[str, Any], ConsortiumClient]:
    """Sign ``membership.<action>`` as ``org``, submit it and wait; the organisation, tx
    id, its status and the (open) client."""
    genesis = load_genesis(layout.genesis)
    who, key = member_key(layout, genesis, org, KNOWN_ROLES)
    tx = Transaction.new(key, genesis.chain_id, "membership", action, args).sign(key)
    client = ConsortiumClient.of(layout)
    try:
        client.submit(tx)
    except ApiProblem as exc:
        if exc.status not in (403, 422):
            client.close()
            raise
        return who, tx.tx_id, {"status": "rejected", "reason": str(exc)}, client
    return who, tx.tx_id, client.wait_committed(tx, timeout), client


def _outcome(status: dict[str, Any]) -> str | None:
    """Why a committed call did nothing, or None if it was applied."""
    if status["status"] != "committed":
        return status.get("reason") or status["status"]
    outcome = status.get("outcome", {})
    return None if outcome.get("applied") else outcome.get("reason")


@app.command("list")
@handle_errors
def list_members(consortium: Consortium, as_json: AsJson = False) -> None:
    """The organisations as of the head, their roles and member keys."""
    layout = Layout(consortium)
    with ConsortiumClient.of(layout) as client:
        roster = client.request("GET", "/v1/members")
    if as_json:
        emit_json(roster)
        return
    table = Table(
        "organisation",
        "roles",
        "member keys",
        title=f"roster version {roster['version']} at height {roster['height']}",
    )
    for o in roster["organisations"]:
        table.add_row(o["name"], ", ".join(o["roles"]), "\n".join(k[:16] + "…" for k in o["keys"]))
    console.print(table)


def describe_change(proposal: dict[str, Any]) -> str:
    """A proposal's change in a few words: ``remove X`` or ``X: role, role``."""
    if not proposal["keys"]:
        return f"remove {proposal['organisation']}"
    return f"{proposal['organisation']}: {', '.join(proposal['roles'])}"


@app.command("proposals")
@handle_errors
def proposals(consortium: Consortium, as_json: AsJson = False) -> None:
    """The membership proposals still open: their change, approvals and how many more
    approvals each needs. A stale proposal (made against an older roster) can no longer
    pass: propose it again."""
    with ConsortiumClient.of(Layout(consortium)) as client:
        found = client.request("GET", "/v1/membership/proposals")
    if as_json:
        emit_json(found)
        return
    table = Table(
        "id",
        "change",
        "approved by",
        "still needed",
        title=f"open proposals at height {found['height']} (roster version "
        f"{found['roster_version']})",
    )
    for p in found["proposals"]:
        missing = max(0, p["needed"] - len(p["approvals"]))
        table.add_row(
            p["id"][:10] + "…",
            describe_change(p),
            ", ".join(p["approvals"]),
            "stale: propose again" if p["stale"] else f"{missing} of {p['needed']}",
        )
    console.print(table if found["proposals"] else "no open proposals")


def _new_member_key(layout: Layout, organisation: str) -> SigningKey:
    """The member key of ``organisation`` in DIR/keys, created if absent."""
    path = key_paths(layout.root, organisation)[0]
    if path.exists():
        return read_key_file(path)
    key = SigningKey.generate()
    write_key_file(path, key)
    err_console.print(f"wrote the new member key {path}", highlight=False, soft_wrap=True)
    return key


@app.command("propose")
@handle_errors
def propose(
    organisation: Annotated[
        str, typer.Argument(help="The organisation to admit, change or remove.")
    ],
    consortium: Consortium,
    role: Annotated[
        list[str] | None,
        typer.Option(help=f"A role to hold (repeat). One of: {', '.join(sorted(KNOWN_ROLES))}."),
    ] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(help="A member public key (hex; repeat). Default: a new key in DIR/keys."),
    ] = None,
    remove: Annotated[bool, typer.Option(help="Propose removing the organisation.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why, for the record.")] = None,
    org: AsOrg = None,
    timeout: Timeout = 60.0,
    as_json: AsJson = False,
) -> None:
    """Propose admitting ORGANISATION with roles and keys (or changing them, or with
    --remove removing it). The proposer approves at once; other organisations approve
    with `member approve`. Exit 1 if the proposal is refused."""
    layout = Layout(consortium)
    roles = list(role or [])
    if remove and (roles or key):
        raise ValidationError("--remove takes no --role or --key")
    if not remove and not roles:
        raise ValidationError("give at least one --role (or --remove)")
    keys = (
        list(key or []) if remove or key else [_new_member_key(layout, organisation).public.hex()]
    )
    args: dict[str, Any] = {
        "organisation": organisation,
        "roles": roles,
        "keys": [] if remove else keys,
    }
    if reason:
        args["reason"] = reason
    who, tx_id, status, client = submit_call(layout, org, "propose", args, timeout)
    with client:
        _report(client, layout, who, tx_id, status, as_json)


@app.command("approve")
@handle_errors
def approve(
    proposal: Annotated[
        str,
        typer.Argument(
            help="The proposal id (the proposing tx id), or a unique prefix of 8 or more hex "
            "digits."
        ),
    ],
    consortium: Consortium,
    org: AsOrg = None,
    timeout: Timeout = 60.0,
    as_json: AsJson = False,
) -> None:
    """Approve a membership proposal as your organisation. When a quorum of organisations
    has approved, the change applies from the next block. Exit 1 if refused."""
    layout = Layout(consortium)
    with ConsortiumClient.of(layout) as resolver:
        proposal = resolve_id(resolver, proposal, "proposal")
    who, _, status, client = submit_call(layout, org, "approve", {"proposal": proposal}, timeout)
    with client:
        _report(client, layout, who, proposal, status, as_json)


def _report(
    client: ConsortiumClient,
    layout: Layout,
    who: str,
    proposal_id: str,
    status: dict[str, Any],
    as_json: bool,
) -> None:
    why = _outcome(status)
    if why is not None:
        if as_json:
            emit_json({"ok": False, "organisation": who, "reason": why})
        else:
            console.print(f"[bold red]refused[/] ({who}): {why}", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    found = client.request("GET", f"/v1/membership/proposals/{proposal_id}")
    if found["status"] == "applied":
        try:
            refresh_trust(client, layout)
        except LedgerError as exc:
            console.print(f"[yellow]note:[/] trust.json not refreshed: {exc}")
    if as_json:
        emit_json({"ok": True, "organisation": who, "proposal": found})
        return
    change = "remove" if not found["keys"] else f"roles {', '.join(found['roles'])}"
    console.print(
        f"proposal [bold]{found['id']}[/]: {found['organisation']} ({change}); approved by "
        f"{', '.join(found['approvals'])} ({len(found['approvals'])} of {found['needed']} needed)"
        f" — [bold]{'stale (propose again)' if found.get('stale') else found['status']}[/]",
        highlight=False,
    )
    if found["status"] == "applied":
        console.print(f"  wrote {layout.trust}: it lists the new roster.", highlight=False)


@app.command("trust")
@handle_errors
def trust_cmd(
    consortium: Consortium,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Where to write (default DIR/trust.json).")
    ] = None,
) -> None:
    """Write trust.json with the roster as of the head: what offline verifiers need to
    name depositors that joined after genesis."""
    layout = Layout(consortium)
    with ConsortiumClient.of(layout) as client:
        trust = fetch_trust(client, layout)
    write_json(out or layout.trust, trust.to_dict())
    console.print(
        f"wrote {out or layout.trust}: chain {trust.chain_id[:16]}…, "
        f"{len(trust.organisations)} organisations",
        highlight=False,
    )
