"""Finding free loopback ports for a local consortium."""

from __future__ import annotations

import random
import socket

from ledger.errors import LedgerError


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host``:``port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_base_port(count: int, host: str = "127.0.0.1", preferred: int = 7101) -> int:
    """A port P such that P .. P+count-1 are free now: ``preferred`` if it is, else a
    random one below the ephemeral range."""
    candidates = [preferred] + [random.randrange(20_000, 30_000) for _ in range(50)]
    for base in candidates:
        if all(port_free(host, base + i) for i in range(count)):
            return base
    raise LedgerError(f"no {count} consecutive free ports found on {host}")
