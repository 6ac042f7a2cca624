"""Exports of the ledger's traceability records in public formats.

- ``event_hash``: CBV 2.0 event hash IDs of EPCIS 2.0 events;
- ``epcis``: an EPCIS 2.0 JSON-LD document of a product's events;
- ``prov``: a W3C PROV-JSON document of a product's lineage.
"""
