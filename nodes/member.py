"""Acting as a member organisation of a consortium folder: its key, and which
organisation to act as by default."""

from __future__ import annotations

from ledger.errors import KeyFileError, LedgerError, ValidationError
from ledger.keys import SigningKey, read_key_file
from ledger.model.genesis import Genesis, Organisation
from ledger.trust import Trust
from nodes.bootstrap import key_paths
from nodes.consortium.layout import Layout


def known_organisations(layout: Layout, genesis: Genesis) -> tuple[Organisation, ...]:
    """The organisations DIR/trust.json lists (refreshed by the membership commands, so
    it includes organisations that joined), or genesis's if it cannot be read."""
    try:
        return Trust.load(layout.trust).organisations
    except (OSError, LedgerError):
        return genesis.organisations


def member_key(
    layout: Layout, genesis: Genesis, org: str | None, allowed: frozenset[str]
) -> tuple[str, SigningKey]:
    """The organisation to act as (``org``, or the first whose roles are in ``allowed``)
    and its member key from ``DIR/keys``."""
    organisations = known_organisations(layout, genesis)
    if org is None:  # genesis's organisations first, in genesis order, then those that joined
        order = {o.name: i for i, o in enumerate(genesis.organisations)}
        ranked = sorted(organisations, key=lambda o: order.get(o.name, len(order)))
        org = next((o.name for o in ranked if set(o.roles) & allowed), None)
        if org is None:
            raise ValidationError(f"no organisation has a role among {', '.join(sorted(allowed))}")
    elif not any(o.name == org for o in organisations):
        names = ", ".join(o.name for o in organisations)
        raise ValidationError(f"--as {org}: not an organisation of this consortium ({names})")
    path = key_paths(layout.root, org)[0]
    if not path.exists():
        raise KeyFileError(f"{path}: no member key for {org} in this folder")
    return org, read_key_file(path)
