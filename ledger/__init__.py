"""The verifiable core of provledger.

Canonical bytes, keys, the RFC 9162 Merkle log, blocks, certificates, checkpoints,
receipts, storage and audit. Imports nothing from ``contracts``, ``seeds`` or ``nodes``.
"""
