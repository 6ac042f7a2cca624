"""The ``traceability`` contract: product batches followed through the supply chain as
GS1 EPCIS 2.0 events, with custody rules and recalls that reach every derived batch.

``contract`` is the contract; ``args``, ``actions``, ``rules``, ``events`` and ``state``
its parts; ``queries`` reads products, their hash-linked histories and their derivation
graph from any ``StateView``.
"""

from contracts.traceability.contract import ROLES, Traceability
from contracts.traceability.state import CONTRACT, event_key, product_key

__all__ = ["CONTRACT", "ROLES", "Traceability", "event_key", "product_key"]
