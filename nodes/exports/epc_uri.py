"""EPC URIs (pure identity, class and pattern URIs) as canonical GS1 Digital Link URIs.

Promises: ``epc_uri_to_digital_link(uri)`` returns the canonical GS1 Digital Link URI
(``https://id.gs1.org/<AI>/<key>[/<AI>/<qualifier>]``, check digits computed, the
characters a Digital Link path must escape percent-encoded) of an EPC URI of a GS1
scheme that follows the Tag Data Standard grammar of its scheme, and ``None`` for
anything else. A pattern URI keeps only the identification level it names
(``urn:epc:idpat:sgtin:....*`` is a GTIN).

The grammar is the one the ``traceability`` contract checks identifiers with
(``contracts.traceability.gs1``): an exporter never reads an id differently from the
ledger that accepted it.
"""

from __future__ import annotations

from contracts.traceability.gs1 import epc_to_digital_link, gs1_check_digit

__all__ = ["epc_uri_to_digital_link", "gs1_check_digit"]


def epc_uri_to_digital_link(uri: str) -> str | None:
    """The canonical GS1 Digital Link URI of an EPC URI, or ``None`` if it is not one."""
    return epc_to_digital_link(uri)
