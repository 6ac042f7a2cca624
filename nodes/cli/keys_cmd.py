"""``provledger keys``: create and inspect Ed25519 key files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.keys import SigningKey, read_key_file, write_key_file
from nodes.cli.output import console, emit_json, handle_errors

app = typer.Typer(
    help="Create and inspect Ed25519 key files (PEM, mode 0600).", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _describe(path: Path, key: SigningKey, as_json: bool) -> None:
    info = {"path": str(path), "key_id": key.key_id, "public_key": key.public.hex()}
    if as_json:
        emit_json(info)
    else:
        console.print(
            f"[bold]{path}[/]\n  key id     {info['key_id']}\n  public key {info['public_key']}",
            highlight=False,
        )


@app.command("new")
@handle_errors
def new(
    path: Annotated[Path, typer.Argument(help="Where to write the private key (PEM).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Generate a new Ed25519 key and write it to PATH with mode 0600."""
    key = SigningKey.generate()
    write_key_file(path, key, overwrite=force)
    if not as_json:
        console.print(f"wrote {path} (mode 0600)", highlight=False, soft_wrap=True)
    _describe(path, key, as_json)


@app.command("show")
@handle_errors
def show(
    path: Annotated[Path, typer.Argument(help="A private key file (PEM).")],
    as_json: JsonOpt = False,
) -> None:
    """Print the key id and public key of a key file."""
    _describe(path, read_key_file(path), as_json)
