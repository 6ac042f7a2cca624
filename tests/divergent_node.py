"""Test-only launcher: one validator node whose ``evidence`` contract is deterministic but
different from the release's, run exactly as ``provledger node run`` runs a node.

An anchor stores one more field in the ``doc/<sha256>`` record it writes
(``DIVERGENT_FIELD``), so executing any block that anchors a new document gives this
node other state and results roots than every honest node. Nothing else changes: the
patch is applied to the class before the real CLI entry (``nodes.cli.main.app``, as
``python -m nodes.cli`` calls it) parses ``sys.argv`` and starts the node.

Usage (as ``tests.cluster.Cluster.start_node`` does)::

    python tests/divergent_node.py node run --config DIR/nodes/<name>/node.json
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run by path from the consortium folder
    sys.path.insert(0, str(REPO))

from contracts.base import StateView, TxContext  # noqa: E402
from contracts.evidence import ANCHOR, Evidence, doc_key  # noqa: E402

DIVERGENT_FIELD = "divergent_note"
COMMAND = (sys.executable, str(Path(__file__).resolve()), "node", "run")
"""The command line (less ``--config PATH``) that starts a divergent node."""

_release_apply = Evidence.apply


def _divergent_apply(
    self: Evidence, view: StateView, action: str, args: dict[str, Any], ctx: TxContext
) -> list[tuple[str, Any]]:
    """The release's ``apply``, plus one field in the document record an anchor writes."""
    writes = _release_apply(self, view, action, args, ctx)
    if action != ANCHOR:
        return writes
    key = doc_key(args["sha256"])
    return [
        (k, {**v, DIVERGENT_FIELD: "this node runs another contract"}) if k == key else (k, v)
        for k, v in writes
    ]


def main() -> None:
    """Patch the contract, then hand ``sys.argv`` to the real ``provledger`` entry."""
    Evidence.apply = _divergent_apply  # type: ignore[method-assign]
    from nodes.cli.main import app

    app(prog_name="provledger")


if __name__ == "__main__":
    main()
