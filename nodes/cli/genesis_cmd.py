"""``provledger genesis``: create a consortium's keys, genesis.json and trust.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger.keys import key_id
from nodes.bootstrap import OrgSpec, create_identity, key_paths
from nodes.cli.output import console, emit_json, handle_errors

app = typer.Typer(help="Create the root of trust of a chain.", no_args_is_help=True)


@app.command("new")
@handle_errors
def new(
    folder: Annotated[Path, typer.Argument(help="Folder for keys/, genesis.json, trust.json.")],
    org: Annotated[
        list[str],
        typer.Option(
            "--org",
            help="An organisation as NAME:ROLE[,ROLE...]; repeat per "
            "organisation. Each gets a member key and a validator node key.",
        ),
    ],
    chain_name: Annotated[str, typer.Option(help="A human name for the chain.")] = "provledger",
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing genesis.json (existing key files are kept and reused).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Write member and node keys, genesis.json and trust.json into FOLDER."""
    genesis = create_identity(folder, [OrgSpec.parse(o) for o in org], chain_name, force=force)
    if as_json:
        emit_json(
            {
                "chain_id": genesis.chain_id,
                "genesis": str(folder / "genesis.json"),
                "trust": str(folder / "trust.json"),
                "organisations": [
                    {
                        "name": o.name,
                        "roles": list(o.roles),
                        "member_key_id": key_id(o.keys[0]),
                        "member_key_file": str(key_paths(folder, o.name)[0]),
                    }
                    for o in genesis.organisations
                ],
                "validators": [{"name": v.name, "key_id": v.key_id} for v in genesis.validators],
                "quorum": genesis.validator_set().threshold,
            }
        )
        return
    table = Table(title=f"chain {genesis.chain_name}  id {genesis.chain_id}")
    table.add_column("organisation")
    table.add_column("roles")
    table.add_column("member key id")
    table.add_column("validator")
    validators = {v.organisation: v.name for v in genesis.validators}
    for o in genesis.organisations:
        table.add_row(
            o.name, ", ".join(o.roles), key_id(o.keys[0])[:16] + "…", validators.get(o.name, "-")
        )
    console.print(table)
    console.print(
        f"quorum {genesis.validator_set().threshold} of {len(genesis.validators)} "
        f"validators; wrote {folder / 'genesis.json'} and {folder / 'trust.json'}"
    )
