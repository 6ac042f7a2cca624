"""A running node: the consensus driver fed by real time and I/O, a store, a mempool,
the contracts, and the peers."""
