"""The verifiable core: canonical bytes, keys, the RFC 9162 Merkle log, blocks, checkpoints, receipts, storage and audit."""
