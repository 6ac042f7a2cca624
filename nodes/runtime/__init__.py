"""A running node: the consensus machine driven by real time, a store, a mempool, the
contracts, and the peers."""
