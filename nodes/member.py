"""Acting as a member organisation of a consortium folder: its key, and which
organisation to act as by default."""

from __future__ import annotations

from ledger.errors import KeyFileError, ValidationError
from ledger.keys import SigningKey, read_key_file
from ledger.model.genesis import Genesis
from nodes.bootstrap import key_paths
from nodes.consortium.layout import Layout


def member_key(
    layout: Layout, genesis: Genesis, org: str | None, allowed: frozenset[str]
) -> tuple[str, SigningKey]:
    """The organisation to act as (``org``, or the first whose roles are in ``allowed``)
    and its member key from ``DIR/keys``."""
    if org is None:
        org = next((o.name for o in genesis.organisations if set(o.roles) & allowed), None)
        if org is None:
            raise ValidationError(f"no organisation has a role among {', '.join(sorted(allowed))}")
    elif not any(o.name == org for o in genesis.organisations):
        names = ", ".join(o.name for o in genesis.organisations)
        raise ValidationError(f"--as {org}: not an organisation of this consortium ({names})")
    path = key_paths(layout.root, org)[0]
    if not path.exists():
        raise KeyFileError(f"{path}: no member key for {org} in this folder")
    return org, read_key_file(path)
